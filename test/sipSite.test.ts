// A whole simulated site over real SIP: the boards of sim/sites/hq.site.json
// (three boards, the real firmware in a VM each, 10 ports) register every
// port with one Kamailio (test/fixtures/kamailio) and reach each other
// through it, SIPp as the outside caller and the carrier trunk
// (test/sipHarness.ts); the boards sync with a broker, where their call
// records are read.
//   - an outside call to the lobby's 8009, unanswered after 3 rings: the
//     lobby board answers 302 with Diversion, SIPp follows it through
//     Kamailio to 8001 (nearest department, on board floor3), answered;
//   - an internal call from floor3 to floor5: an INVITE through Kamailio;
//   - an internal call from floor5 to the lobby, unanswered: the calling
//     board's user agent follows the lobby's 302 to floor3.
// Measured (printed): REGISTER of all ports, last key → INVITE, last ring
// → 302, the 302 → the INVITE at the other board's extension.
import { mkdirSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import type { SimEvent } from "../src/board/record"
import { SimSite, parseSiteFile } from "../sim/site"
import { SipSite } from "./sipHarness"
import { TestBroker, Watcher, startBroker } from "./syncHarness"

const ROOT = join(import.meta.dirname, "..")
const OUT = join(ROOT, ".devicescript", "sim", "sip-site")
const SITE_ID = "hq-sip"
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))

let sip: SipSite
let site: SimSite
let broker: TestBroker
let watcher: Watcher
const measured: string[] = []
/** A measurement: printed, and kept in .devicescript/sim/sip-site/measured.txt. */
function measure(...lines: string[]) {
    measured.push(...lines)
    console.log(lines.join("\n"))
}

/**
 * The boards of sim/sites/hq.site.json on `sip`'s Kamailio; the simulated
 * people of `answers` answer when their handset rings.
 */
async function startHq(
    sip: SipSite,
    answers: Set<string>,
    sync?: { brokerUrl: string; site: string; siteKey: string }
): Promise<SimSite> {
    const spec = parseSiteFile(join(ROOT, "sim", "sites", "hq.site.json"))
    const site = await SimSite.start(spec, {
        ring: { onMs: 300, cycleMs: 1000 },
        logFile: b => join(OUT, `${b}.log`),
        sync,
        sip: {
            server: sip.server("udp"),
            password: sip.password,
            localAddress: "127.0.0.2",
        },
    })
    try {
        expect(await site.waitPortsReady()).toStrictEqual([])
        const up = await site.uploadPolicy(spec.policy)
        for (const r of up) expect(r.result.ok, r.result.message).toBe(true)
    } catch (e) {
        await site.stop()
        throw e
    }
    site.rec.on("event", e => {
        if (e.kind === "ring" && e.on && answers.has(e.ext!))
            void site.port(e.ext!).hook(true)
    })
    return site
}

beforeAll(() => mkdirSync(OUT, { recursive: true }))
afterAll(() => {
    if (measured.length)
        writeFileSync(join(OUT, "measured.txt"), measured.join("\n") + "\n")
    rmSync(join(OUT, "broker"), { recursive: true, force: true })
})

const rec = () => site.rec
const sel = (kind: string, ext: string, since = 0) =>
    rec().select(kind, ext, since)

/** The first `sip` record of `ext` since `since` whose line matches. */
function wire(ext: string, dir: "in" | "out", line: RegExp, since = 0) {
    return sel("sip", ext, since).find(
        e => e.dir === dir && line.test(e.line as string)
    )
}

async function waitFor<T>(what: string, f: () => T | undefined, ms = 20000) {
    const v = await rec().until(f, ms)
    if (v === undefined)
        throw new Error(
            `${what}: not within ${ms} ms; the record since: ` +
                rec()
                    .events.slice(-40)
                    .map(e => JSON.stringify(e))
                    .join("\n")
        )
    return v
}

/** Lifts the handset and keys `digits`; the last key's record. */
async function dial(ext: string, digits: string): Promise<SimEvent> {
    const p = site.port(ext)
    await p.hook(true)
    await sleep(300)
    let last!: SimEvent
    for (const k of digits) {
        last = rec().add("key", { port: p.index, ext, key: k })
        await p.key(k)
        await sleep(100)
    }
    return last
}

async function onHook(...exts: string[]) {
    for (const ext of exts) await site.port(ext).hook(false)
}

/** Call records of `board` since `since` (ms since 1970). */
function records(board: string, since: number) {
    return watcher
        .parsed(`dialguard/${SITE_ID}/${board}/calls`, since)
        .map(m => m.value)
}

describe("a site of three boards over real SIP", () => {
    beforeAll(async () => {
        sip = await SipSite.start("site-secret-7")
        broker = await startBroker("aedes", OUT)
        watcher = new Watcher(broker.url, SITE_ID, "sip-site-watcher")
        await watcher.start()
        site = await startHq(sip, new Set(["8001", "8102"]), {
            brokerUrl: broker.url,
            site: SITE_ID,
            siteKey: "5a".repeat(32),
        })
    }, 240000)

    afterAll(async () => {
        await site?.stop()
        watcher?.stop()
        await broker?.stop()
        await sip?.stop()
    }, 60000)

    test("every port of every board registers with the one Kamailio", async () => {
        const exts = site.extensions
        expect(exts).toHaveLength(10)
        const done = await waitFor("all Registered", () => {
            const regs = exts.map(x =>
                sel("registration", x).find(e => e.state === "Registered")!
            )
            return regs.every(r => r) ? regs : undefined
        })
        const first = Math.min(
            ...exts.map(x => sel("registration", x)[0]?.t ?? Infinity)
        )
        const last = Math.max(...done.map(e => e.t))
        measure(
            `REGISTER of ${exts.length} ports (3 boards, digest 401 included): ${last - first} ms from the first REGISTER to the last 200`
        )
    }, 30000)

    test("an outside call to 8009 (lobby) unanswered after 3 rings: 302 with Diversion from board lobby, followed through Kamailio to 8001 on board floor3 and answered there; counters and call records on both boards", async () => {
        const since = rec().now()
        const wall = Date.now()
        const run = await sip.call("8009")
        expect(run.code, run.out + run.log).toBe(0)
        // (the Contact names the site's server: SIPp sends every request
        // to Kamailio whatever its Request-URI, a user agent to the URI)
        expect(run.log).toMatch(
            new RegExp(
                `302 contact sip:8001@127\\.0\\.0\\.1:${sip.kamPort} diversion\\s*<sip:8009@127\\.0\\.0\\.1>;reason=no-answer;counter=1`
            )
        )
        expect(run.log).toMatch(/answered/)
        // 8009 rang 3 times on its board, then its line answered 302
        const rings = sel("ring", "8009", since).filter(e => e.on)
        expect(rings).toHaveLength(3)
        const r302 = wire("8009", "out", /^302 /, since)!
        expect(r302).toBeTruthy()
        expect(sel("redirect", "8009", since)[0]?.targets).toMatch(/^8001\b/)
        // the follow-up INVITE reached floor3's 8001 from Kamailio
        const inv = wire("8001", "in", /^INVITE sip:8001@127\.0\.0\.2:/, since)!
        expect(inv).toBeTruthy()
        expect(site.sessionOf("8001")!.board).toBe("floor3")
        expect(site.sessionOf("8009")!.board).toBe("lobby")
        expect(sel("incoming", "8001", since)[0]).toMatchObject({
            caller: "13912345678",
            divertedFrom: "8009",
            diversions: 1,
        })
        measure(
            `outside call: last ring (on) → 302 on the wire: ${r302.t - rings[2].t} ms (1 s ring cycle)`,
            `cross-board forward: lobby's 302 → INVITE at floor3's 8001 (SIPp follows through Kamailio): ${inv.t - r302.t} ms`
        )
        await waitFor("8001 hung up by SIPp", () =>
            sel("remoteHungUp", "8001", since).length > 0 ? true : undefined
        )
        await onHook("8001")
        const lobby = site.session("lobby").admin
        const floor3 = site.session("floor3").admin
        expect(await lobby.counter("8009.incoming.forwarded")).toBe(1)
        expect(await floor3.counter("8001.incoming.onTime")).toBe(1)
        expect(await floor3.counter("8001.caller.late")).toBe(1)
        // the record: at the handset where the call ended, none from lobby
        const rec3 = await watcher.wait(
            `dialguard/${SITE_ID}/floor3/calls`,
            wall,
            v => v.dir === "in" && v.handset === "8001",
            20000
        )
        expect(rec3.value).toMatchObject({
            board: "floor3",
            handset: "8001",
            number: "13912345678",
            category: "incoming",
            outcome: "answered",
            for: "8009",
            hops: 1,
        })
        expect(rec3.value.rings).toBeGreaterThanOrEqual(4)
        expect(records("lobby", wall)).toEqual([])
    }, 120000)

    test("a long-distance call from floor3's 8001 reaches the carrier trunk through Kamailio with the IP prefix", async () => {
        const since = rec().now()
        const last = await dial("8001", "01062345678")
        const out = await waitFor("INVITE from 8001", () =>
            wire("8001", "out", /^INVITE sip:1790901062345678@/, since)
        )
        expect(
            await sip.waitTrunkInvite(/^sip:1790901062345678@/, 10000)
        ).toBeTruthy()
        await waitFor("8001 answered by the trunk", () =>
            sel("remoteAnswered", "8001", since).length > 0 ? true : undefined
        )
        measure(
            `outgoing long-distance call: last key → INVITE on the wire: ${out.t - last.t} ms`
        )
        await onHook("8001")
        await sleep(300)
    }, 30000)

    test("an internal call from floor3's 8003 to floor5's 8102 is a SIP INVITE through Kamailio, answered", async () => {
        const since = rec().now()
        const wall = Date.now()
        const last = await dial("8003", "8102")
        const out = await waitFor("INVITE from 8003", () =>
            wire("8003", "out", /^INVITE sip:8102@127\.0\.0\.1:\d+$/, since)
        )
        const inv = await waitFor("INVITE at 8102", () =>
            wire("8102", "in", /^INVITE sip:8102@127\.0\.0\.2:\d+/, since)
        )
        expect(sel("incoming", "8102", since)[0]).toMatchObject({
            caller: "8003",
            divertedFrom: "",
        })
        await waitFor("8003 answered", () =>
            sel("remoteAnswered", "8003", since).length > 0 ? true : undefined
        )
        measure(
            `internal call 8102: last key → INVITE on the wire: ${out.t - last.t} ms (the dial plan's short timer: 8102 may begin a longer number; the line's dial order → INVITE ${out.t - sel("dial", "8003", since)[0].t} ms); → INVITE at the other board (through Kamailio, 407 included): ${inv.t - out.t} ms`
        )
        await onHook("8003")
        await waitFor("8102 hung up", () =>
            sel("remoteHungUp", "8102", since).length > 0 ? true : undefined
        )
        await onHook("8102")
        const r = await watcher.wait(
            `dialguard/${SITE_ID}/floor3/calls`,
            wall,
            v => v.handset === "8003",
            20000
        )
        expect(r.value).toMatchObject({
            number: "8102",
            category: "internal",
            outcome: "answered",
        })
        // no carrier involved
        expect(sip.trunkInvites().filter(u => /8102/.test(u))).toEqual([])
    }, 60000)

    test("an internal call from floor5's 8201 to the lobby's 8009, unanswered: the lobby's 302 followed by the calling board's user agent to 8001 on floor3", async () => {
        const since = rec().now()
        const wall = Date.now()
        await dial("8201", "8009")
        const r302 = await waitFor(
            "302 from 8009",
            () => wire("8009", "out", /^302 /, since),
            30000
        )
        const inv = await waitFor("INVITE at 8001", () =>
            wire("8001", "in", /^INVITE sip:8001@/, since)
        )
        expect(wire("8201", "in", /^302 /, since)).toBeTruthy()
        expect(sel("incoming", "8001", since)[0]).toMatchObject({
            caller: "8201",
            divertedFrom: "8009",
            diversions: 1,
        })
        await waitFor("8201 answered", () =>
            sel("remoteAnswered", "8201", since).length > 0 ? true : undefined
        )
        measure(
            `internal call forwarded: lobby's 302 → INVITE at floor3's 8001 (floor5's UA follows, 407 included): ${inv.t - r302.t} ms`
        )
        await onHook("8201")
        await waitFor("8001 hung up", () =>
            sel("remoteHungUp", "8001", since).length > 0 ? true : undefined
        )
        await onHook("8001")
        const r = await watcher.wait(
            `dialguard/${SITE_ID}/floor3/calls`,
            wall,
            v => v.dir === "in" && v.handset === "8001",
            20000
        )
        expect(r.value).toMatchObject({
            number: "8201",
            outcome: "answered",
            for: "8009",
            hops: 1,
        })
        const out = await watcher.wait(
            `dialguard/${SITE_ID}/floor5/calls`,
            wall,
            v => v.handset === "8201",
            20000
        )
        expect(out.value).toMatchObject({
            number: "8009",
            category: "internal",
            outcome: "answered",
        })
        expect(
            await site.session("lobby").admin.counter("8009.incoming.forwarded")
        ).toBe(2)
    }, 90000)
})

describe("a site of three boards behind a proxy that follows redirects (Kamailio FOLLOW_REDIRECTS)", () => {
    beforeAll(async () => {
        sip = await SipSite.start("site-follow-9", { followRedirects: true })
        site = await startHq(sip, new Set(["8101"]))
    }, 240000)

    afterAll(async () => {
        await site?.stop()
        await sip?.stop()
    }, 60000)

    test("an outside call to the lobby's 8009, unanswered: Kamailio follows its 302, skips 8001 on floor3 (off the hook: 486) and rings 8101 on floor5, answered; three boards count it", async () => {
        const since = rec().now()
        expect(
            await waitFor(
                "all Registered",
                () =>
                    site.extensions.every(x =>
                        sel("registration", x).some(
                            e => e.state === "Registered"
                        )
                    ) || undefined
            )
        ).toBe(true)
        await site.port("8001").hook(true) // 8001 is on the phone
        const run = await sip.call("8009")
        expect(run.code, run.out + run.log).toBe(0)
        const r302 = wire("8009", "out", /^302 /, since)!
        expect(sel("redirect", "8009", since)[0]?.targets).toMatch(
            /^8001 8101 /
        )
        expect(wire("8001", "out", /^486 /, since)).toBeTruthy()
        const inv = wire("8101", "in", /^INVITE sip:8101@/, since)!
        expect(inv).toBeTruthy()
        expect(sel("incoming", "8101", since)[0]).toMatchObject({
            caller: "13912345678",
            divertedFrom: "8009",
            diversions: 1,
        })
        expect(sel("incoming", "8001", since)).toEqual([])
        measure(
            `proxy-followed forward: lobby's 302 → INVITE at floor5's 8101 (Kamailio, past floor3's busy 8001): ${inv.t - r302.t} ms`
        )
        await waitFor("8101 hung up by SIPp", () =>
            sel("remoteHungUp", "8101", since).length > 0 ? true : undefined
        )
        await onHook("8101", "8001")
        expect(
            await site.session("lobby").admin.counter("8009.incoming.forwarded")
        ).toBe(1)
        expect(
            await site.session("floor5").admin.counter("8101.caller.late")
        ).toBe(1)
        expect(
            await site.session("floor3").admin.counter("8001.incoming.onTime")
        ).toBe(0)
    }, 120000)
})
