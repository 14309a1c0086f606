// The real firmware in the simulator with its SIP Lines speaking SIP
// (SimSession `sip`): Kamailio as the site's SIP server, SIPp as the
// carrier trunk and an outside caller (test/sipHarness.ts). What the
// carrier receives is checked by software nobody here wrote.
import { mkdirSync, readFileSync, rmSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { SimSession } from "../sim/session"
import { SipSite } from "./sipHarness"
import { TestBroker, Watcher, startBroker } from "./syncHarness"

const ROOT = join(import.meta.dirname, "..")
const OUT = join(ROOT, ".devicescript", "sim", "sip-board")
const SITE = "hq"
const BOARD = "sip-a"
const STATE = `dialguard/${SITE}/${BOARD}/state`
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))

/** floors.policy.json (3 rings before forwarding) with a suspended handset. */
function policy() {
    const p = JSON.parse(
        readFileSync(
            join(ROOT, "sim", "policies", "floors.policy.json"),
            "utf8"
        )
    )
    p.handsets.push({
        extension: "8102",
        department: "sales",
        allow: "international",
        suspended: true,
    })
    return p
}

let site: SipSite
let s: SimSession
let broker: TestBroker
let watcher: Watcher

beforeAll(async () => {
    mkdirSync(OUT, { recursive: true })
    site = await SipSite.start()
    broker = await startBroker("aedes", OUT)
    watcher = new Watcher(broker.url, SITE, "sip-board-watcher")
    await watcher.start()
    s = await SimSession.start({
        ports: ["8001", "8101", "8102"],
        board: BOARD,
        ring: { onMs: 300, cycleMs: 1000 },
        logFile: join(OUT, "sip-board.log"),
        configExtra: {
            site: SITE,
            broker: { url: broker.url },
            siteKey: "42".repeat(32),
        },
        sip: {
            // TCP: a server gone is a refused connection (over UDP, a
            // REGISTER unanswered for 32 s, timer F)
            server: site.server("tcp"),
            password: site.password,
            localAddress: "127.0.0.2",
            expires: 4,
            retryMs: 1000,
        },
    })
    expect(await s.waitPortsReady()).toStrictEqual([])
    const r = await s.upload("policy", policy())
    expect(r.ok, r.message).toBe(true)
    // the simulated people: 8101 answers when its handset rings
    s.rec.on("event", e => {
        if (e.kind === "ring" && e.on && e.ext === "8101")
            void s.port("8101").hook(true)
    })
}, 180000)

afterAll(async () => {
    await s?.stop()
    watcher?.stop()
    await broker?.stop()
    await site?.stop()
    rmSync(join(OUT, "broker"), { recursive: true, force: true })
}, 60000)

/** Lifts the handset and keys `digits` as a person does. */
async function dial(ext: string, digits: string) {
    const p = s.port(ext)
    await p.hook(true)
    await sleep(300)
    for (const k of digits) {
        s.rec.add("key", { port: p.index, ext, key: k })
        await p.key(k)
        await sleep(100)
    }
}

async function hangUp(ext: string) {
    await s.port(ext).hook(false)
    await sleep(300)
}

function registeredAll() {
    return ["8001", "8101", "8102"].every(ext =>
        s.rec.select("registration", ext).some(e => e.state === "Registered")
    )
}

describe("the firmware on real SIP", () => {
    test("every port registers with the site's SIP server", async () => {
        expect(
            await s.rec.until(() => registeredAll() || undefined, 15000)
        ).toBe(true)
    })

    test("a long-distance number from a domestic handset reaches the carrier with the IP prefix: INVITE sip:1790901062345678@...", async () => {
        await dial("8001", "01062345678")
        const uri = await site.waitTrunkInvite(/^sip:1790901062345678@/, 20000)
        expect(uri, site.trunkInvites().join("\n")).toBeTruthy()
        await s.rec.until(
            () =>
                s.rec.select("remoteAnswered", "8001").length > 0 || undefined,
            10000
        )
        await hangUp("8001")
    })

    test("a premium number never produces an INVITE", async () => {
        const since = s.rec.now()
        await dial("8001", "16812345")
        const refused = await s.rec.until(
            () =>
                s.rec
                    .select("tone", "8001", since)
                    .some(e => e.tone === "Unobtainable") || undefined,
            10000
        )
        expect(refused).toBe(true)
        await sleep(1500)
        expect(s.rec.select("dial", "8001", since)).toEqual([])
        expect(site.trunkInvites().filter(u => /168/.test(u))).toEqual([])
        await hangUp("8001")
    })

    test("an emergency number goes out unchanged from a suspended handset", async () => {
        await dial("8102", "119")
        expect(await site.waitTrunkInvite(/^sip:119@/, 20000)).toBeTruthy()
        await hangUp("8102")
    })

    test("an outside call unanswered after 3 rings is redirected (302 + Diversion), followed by the caller to the nearest department and answered there; both ports count it", async () => {
        const since = s.rec.now()
        const run = await site.call("8001")
        expect(run.code, run.out + run.log).toBe(0)
        expect(run.log).toMatch(
            /302 contact sip:8101@127\.0\.0\.1:\d+ diversion\s*<sip:8001@127\.0\.0\.1>;reason=no-answer;counter=1/
        )
        expect(run.log).toMatch(/answered/)
        const inc = s.rec.select("incoming", "8101", since)
        expect(inc[0]).toMatchObject({
            caller: "13912345678",
            divertedFrom: "8001",
            diversions: 1,
        })
        await s.rec.until(
            () =>
                s.rec.select("remoteHungUp", "8101", since).length > 0 ||
                undefined,
            10000
        )
        await hangUp("8101")
        const counter = async (name: string) => s.admin.counter(name)
        expect(await counter("8001.incoming.forwarded")).toBe(1)
        expect(await counter("8101.incoming.onTime")).toBe(1)
        expect(await counter("8101.caller.late")).toBe(1)
    }, 90000)

    test("the SIP server gone: registration_state Failed and the board's lastError on its state topic; back: cleared", async () => {
        const since = Date.now()
        await site.stopKamailio()
        // the lines find out at their next REGISTER (a refresh every 2 s here)
        const st = await watcher.wait(
            STATE,
            since,
            v => /SIP registration failed/.test(v.lastError ?? ""),
            60000
        )
        expect(st.value.lastError).toMatch(
            /^SIP registration failed for 8\d{3}$/
        )
        const REG_STATE = 0x181
        expect(
            s.ports.map(p => p.line.register(REG_STATE).values()[0])
        ).toContain(3) // Failed
        const back = Date.now()
        await site.startKamailio()
        await watcher.wait(STATE, back, v => v.lastError === "", 30000)
        expect(
            await s.rec.until(
                () =>
                    s.ports.every(
                        p => p.line.register(REG_STATE).values()[0] === 2
                    ) || undefined,
                15000
            )
        ).toBe(true)
    }, 90000)
})
