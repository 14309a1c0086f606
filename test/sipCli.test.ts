// `dialguard sim run --sip`: a scenario played with the board's SIP lines
// registered with a real SIP server (Kamailio), its outgoing calls reaching
// the carrier trunk (SIPp); the password, from the environment, is never
// printed.
import { spawn } from "node:child_process"
import { join } from "node:path"
import { afterAll, beforeAll, expect, test } from "vitest"
import { SipSite } from "./sipHarness"

const ROOT = join(import.meta.dirname, "..")
let site: SipSite

beforeAll(async () => {
    site = await SipSite.start("cli-secret-42")
}, 30000)
afterAll(async () => {
    await site?.stop()
})

function simRun(args: string[], env: Record<string, string>) {
    return new Promise<{ code: number | null; out: string }>(resolve => {
        const p = spawn(
            process.execPath,
            [join(ROOT, "bin", "dialguard.mjs"), "sim", "run", ...args],
            { cwd: ROOT, env: { ...process.env, ...env } }
        )
        let out = ""
        p.stdout.on("data", d => (out += d))
        p.stderr.on("data", d => (out += d))
        const timer = setTimeout(() => p.kill("SIGTERM"), 170000)
        p.on("exit", code => {
            clearTimeout(timer)
            resolve({ code, out })
        })
    })
}

test("dialguard sim run --sip plays a scenario over real SIP: the allowed call reaches the carrier, the premium ones never", async () => {
    const r = await simRun(
        [
            "--sip",
            `sip:127.0.0.1:${site.kamPort};transport=tcp`,
            join(ROOT, "sim", "scenarios", "premium-blocked.json"),
        ],
        { DIALGUARD_SIP_PASSWORD: site.password }
    )
    expect(r.code, r.out).toBe(0)
    expect(r.out).toMatch(/^PASS /m)
    expect(r.out).not.toContain(site.password)
    expect(site.trunkInvites()).toEqual([
        expect.stringMatching(
            /^sip:16612345678@127\.0\.0\.1:\d+;transport=tcp$/
        ),
    ])
}, 180000)

test("dialguard sim run --sip plays a site scenario: every board of sim/sites/hq.site.json on the one SIP server, a call forwarded from one board to another over SIP", async () => {
    const before = site.trunkInvites().length
    const r = await simRun(
        [
            "--sip",
            `sip:127.0.0.1:${site.kamPort}`,
            join(ROOT, "sim", "site-scenarios", "hq-internal.json"),
        ],
        { DIALGUARD_SIP_PASSWORD: site.password }
    )
    expect(r.code, r.out).toBe(0)
    expect(r.out).toMatch(/^PASS .*: 9\/9 checks held/m)
    expect(r.out).toMatch(
        /8009 forwarded to 8001 after 3 ring\(s\).*diverted from 8009/
    )
    expect(site.trunkInvites().slice(before)).toEqual([
        expect.stringMatching(/^sip:1790901062345678@127\.0\.0\.1:\d+$/),
    ])
    // a site scenario that plays the outside party is refused at once
    const o = await simRun(
        [
            "--sip",
            `sip:127.0.0.1:${site.kamPort}`,
            join(ROOT, "sim", "site-scenarios", "hq-site.json"),
        ],
        { DIALGUARD_SIP_PASSWORD: site.password }
    )
    expect(o.code).toBe(1)
    expect(o.out).toMatch(
        /step 2 \(incoming\) plays the simulated exchange's outside party, which --sip replaces with a real SIP server/
    )
}, 240000)

test("a bad --sip is a clear usage error", async () => {
    const r = await simRun(
        ["--sip", "pbx.lan", join(ROOT, "sim", "scenarios")],
        {}
    )
    expect(r.code).toBe(1)
    expect(r.out).toMatch(/--sip wants sip:HOST\[:PORT\]/)
    expect(r.out).not.toMatch(/\n\s+at /) // no stack trace
})
