// baresip, a real softphone, as extension 8201 of the site beside the
// simulated board (the real firmware, its SIP lines on Kamailio): baresip
// registers with Kamailio, calls a board extension (answered by the
// handset there), and is called by a board port (baresip answers).
// test/baresip.ts drives it; Debian package `baresip` (.ci/run installs it).
import { mkdirSync, readFileSync, rmSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { SimSession } from "../sim/session"
import { Baresip } from "./baresip"
import { SipSite } from "./sipHarness"

const ROOT = join(import.meta.dirname, "..")
const OUT = join(ROOT, ".devicescript", "sim", "sip-baresip")
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))

let site: SipSite
let s: SimSession
let phone: Baresip

beforeAll(async () => {
    mkdirSync(OUT, { recursive: true })
    site = await SipSite.start("softphone-secret")
    phone = await Baresip.start({
        dir: site.dir,
        extension: "8201",
        password: site.password,
        server: { host: "127.0.0.1", port: site.kamPort },
        autoAnswer: true,
    })
    s = await SimSession.start({
        ports: ["8001", "8101"],
        board: "sip-soft",
        ring: { onMs: 300, cycleMs: 1000 },
        logFile: join(OUT, "board.log"),
        sip: {
            server: site.server("udp"),
            password: site.password,
            localAddress: "127.0.0.2",
        },
    })
    expect(await s.waitPortsReady()).toStrictEqual([])
    const policy = JSON.parse(
        readFileSync(
            join(ROOT, "sim", "policies", "floors.policy.json"),
            "utf8"
        )
    )
    const r = await s.upload("policy", policy)
    expect(r.ok, r.message).toBe(true)
    await phone.waitRegistered()
}, 180000)

afterAll(async () => {
    await phone?.stop()
    await s?.stop()
    await site?.stop()
    rmSync(OUT, { recursive: true, force: true })
}, 60000)

describe("baresip as a softphone extension of the site", () => {
    test("baresip calls board extension 8101 through Kamailio: it rings, the handset answers, baresip hangs up", async () => {
        const since = s.rec.now()
        const t = Date.now()
        const r = await phone.command(
            "dial",
            `sip:8101@127.0.0.1:${site.kamPort}`
        )
        expect(r.ok, r.data).toBe(true)
        const inc = await s.rec.until(
            () => s.rec.select("incoming", "8101", since)[0],
            15000
        )
        expect(inc).toMatchObject({ caller: "8201", divertedFrom: "" })
        await s.rec.until(
            () =>
                s.rec.select("ring", "8101", since).some(e => e.on) ||
                undefined,
            10000
        )
        await s.port("8101").hook(true)
        await phone.waitEvent("CALL_ESTABLISHED", t)
        await sleep(500)
        expect((await phone.command("hangup")).ok).toBe(true)
        await s.rec.until(
            () =>
                s.rec.select("remoteHungUp", "8101", since).length > 0 ||
                undefined,
            10000
        )
        await s.port("8101").hook(false)
        expect(await s.admin.counter("8101.incoming.onTime")).toBe(1)
    }, 60000)

    test("board port 8001 dials baresip's 8201: an INVITE through Kamailio, baresip answers, the handset hangs up", async () => {
        const since = s.rec.now()
        const t = Date.now()
        const p = s.port("8001")
        await p.hook(true)
        await sleep(300)
        for (const k of "8201#") {
            await p.key(k)
            await sleep(100)
        }
        await phone.waitEvent("CALL_ESTABLISHED", t)
        await s.rec.until(
            () =>
                s.rec.select("remoteAnswered", "8001", since).length > 0 ||
                undefined,
            10000
        )
        await sleep(500)
        await p.hook(false)
        const closed = await phone.waitEvent("CALL_CLOSED", t)
        expect(closed.param).toBe("Connection reset by peer") // (baresip: a BYE came)
        const sent = s.rec
            .select("sip", "8001", since)
            .filter(e => e.dir === "out")
            .map(e => e.line as string)
        expect(sent[0]).toMatch(/^INVITE sip:8201@127\.0\.0\.1:\d+$/)
        expect(sent).toContainEqual(
            expect.stringMatching(/^BYE sip:8201[^@]*@127\.0\.0\.3:/)
        )
    }, 60000)
})
