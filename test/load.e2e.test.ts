// Load, end to end: the REAL firmware in the simulator with four handsets,
// synced to a REAL broker (mosquitto where it is installed, else aedes:
// test/brokerChoice.ts), driven with the REAL admin CLI:
// - a burst of policy pushes (back to back, then four at once): the board
//   ends at the newest version, only ever moving forward;
// - hundreds of calls across the four handsets (local, long distance,
//   internal, premium and out-of-class attempts) with `dialguard collect`
//   running and the broker restarted in the middle: `dialguard report`
//   shows exactly the calls made, the register has every long-distance
//   call exactly once, no record was dropped;
// - the board never restarted (it would on running out of memory), and at
//   least 8 KB of its heap is free after the load (test/bench/probedMain.ts:
//   the firmware plus a heap probe; the free heap before is reported too).
//
// ~2-3 min; DIALGUARD_SKIP_SIM=1 skips it. What it measured is
// written to .devicescript/sim/load-e2e.measurements.json.

import { ChildProcess } from "node:child_process"
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { jd } from "../src/board/jd"
import type { JDServiceServer } from "../src/board/jd"
import { SimEvent } from "../src/board/record"
import type { SimSession } from "../sim/session"
import mqtt from "mqtt"
import { recordsIn, registerIn } from "./callsDb"
import { testBrokerKind } from "./brokerChoice"
import {
    collect,
    dialguard,
    ROOT,
    SIM_MONTH,
    SIM_START,
    sleep,
    startBroker,
    stopChild,
    TestBroker,
    Watcher,
    startSyncedBoard,
} from "./syncHarness"

const OUT = join(ROOT, ".devicescript", "sim")
const skip = !!process.env["DIALGUARD_SKIP_SIM"]
const TMP = mkdtempSync(join(tmpdir(), "dialguard-load-e2e-"))
const CALLS_DIR = join(TMP, "calls")
const SITE = "hq"
const BOARD = "load-a"
const KEY_HEX = "5a".repeat(32)
const KEY_FILE = join(TMP, "hq.key")
const MONTH = SIM_MONTH // the simulated SIP wall clock starts at SIM_START
const STATE = `dialguard/${SITE}/${BOARD}/state`
const ONLINE = `dialguard/${SITE}/${BOARD}/online`
const COUNTERS = `dialguard/${SITE}/${BOARD}/counters/${MONTH}`
/** Calls per handset in the load (after the warm-up). */
const CALLS_PER_PORT = 50
/** Key presses this far apart (as in test/sync.e2e.test.ts). */
const KEY_GAP_MS = 150
/**
 * Free heap the board must keep after the load: room for a policy update
 * (compiling a new plan takes ~5 KB). The probe runs the board out of
 * memory, so each figure comes from a different boot: run to run they
 * spread by ~3.5 KB (before the load 13.25-16.5 KB, after it 13-14.25 KB),
 * too much to compare before and after; both are reported.
 */
const HEAP_FLOOR_KB = 8

// ------------------------------------------------------------- the policy

const PORTS = ["8001", "8002", "8003", "8004"]

/** The bill's tariffs (分): every category a first period, so a 0 s answered call costs too. */
const TARIFFS: Record<string, any> = {
    local: { firstSeconds: 180, first: 22, unitSeconds: 60, unit: 11 },
    mobile: { firstSeconds: 60, first: 10, unitSeconds: 60, unit: 10 },
    domestic: { firstSeconds: 6, first: 30, unitSeconds: 6, unit: 3 },
    international: {
        firstSeconds: 6,
        first: 46,
        unitSeconds: 6,
        unit: 46,
        prefixes: { "00852": 12 },
    },
}

/** The test's own price of a record, in 分 (not src/fleet/pricing.ts). */
function priceHere(r: any): number {
    if (r.dir === "in" || r.outcome !== "answered") return 0
    const t = TARIFFS[r.category]
    if (!t) return 0
    let unit = t.unit
    let best = 0
    for (const [p, u] of Object.entries<number>(t.prefixes ?? {}))
        if (r.number.startsWith(p) && p.length > best) {
            best = p.length
            unit = u
        }
    const rest = Math.max(0, Math.floor(r.seconds) - t.firstSeconds)
    return t.first + Math.ceil(rest / t.unitSeconds) * unit
}

/** Version `version`: the same shape every time, only a name changes. */
/**
 * DIALGUARD_LOAD_OFFICE_RULES=1: the issue 12 office rules on (hours that
 * only count, call-length warning and limit, a private prefix), for the
 * heap figures with them; authorization codes are left out (a code prompt
 * would hold every out-of-class attempt of the load 5 s).
 */
const OFFICE_RULES = process.env["DIALGUARD_LOAD_OFFICE_RULES"]
    ? {
          hours: {
              from: "08:00",
              to: "18:00",
              breaks: [{ from: "12:00", to: "13:00" }],
              outside: "count",
          },
          callWarningSeconds: { local: 300, domestic: 300, international: 300 },
          callLimitSeconds: {
              local: 3600,
              domestic: 3600,
              international: 3600,
          },
          privatePrefix: "*9",
      }
    : {}

function policy(version: number) {
    return {
        version,
        tariffs: TARIFFS,
        site: {
            name: "HQ",
            areaCode: "025",
            ipPrefix: "17909",
            ...OFFICE_RULES,
        },
        departments: [
            { id: "admin", name: "人事行政部", floor: 3, x: 10, y: 4 },
            { id: "sales", name: "销售部", floor: 3, x: 40, y: 4 },
        ],
        handsets: [
            {
                extension: "8000",
                department: "admin",
                allow: "internal",
                receiveOnly: true,
                name: "前台",
            },
            {
                extension: "8001",
                department: "admin",
                allow: "domestic",
                name: "v" + String(version).padStart(2, "0"),
                owner: ["张三", "李四"],
            },
            { extension: "8002", department: "sales", allow: "international" },
            { extension: "8003", department: "sales", allow: "local" },
            { extension: "8004", department: "admin", allow: "domestic" },
        ],
    }
}

function policyFile(version: number): string {
    const f = join(TMP, `v${version}.json`)
    writeFileSync(f, JSON.stringify(policy(version), null, 2))
    return f
}

// ------------------------------------------------------------- the calls

interface CallKind {
    digits: string
    /** What the board sends to the line; undefined: refused. */
    dialled?: string
    category?: string
    blocked?: string
}

const KINDS: Record<string, CallKind> = {
    local: { digits: "52345678", dialled: "52345678", category: "local" },
    domestic: {
        digits: "01062345678",
        dialled: "1790901062345678",
        category: "domestic",
    },
    international: {
        digits: "0085212345678",
        dialled: "179090085212345678",
        category: "international",
    },
    internal: { digits: "8000#", dialled: "8000", category: "internal" },
    premium: { digits: "16812345", blocked: "premium" },
    domesticRefused: { digits: "01062345678", blocked: "class" },
    internationalRefused: { digits: "0085212345678", blocked: "class" },
}

/** What each handset dials, in turn, by its class in the policy. */
const MIX: Record<string, string[]> = {
    "8001": [
        "local",
        "domestic",
        "internal",
        "premium",
        "domestic",
        "internationalRefused",
    ],
    "8002": [
        "international",
        "local",
        "domestic",
        "internal",
        "international",
        "premium",
    ],
    "8003": ["local", "internal", "domestic" + "Refused", "local", "premium"],
    "8004": ["domestic", "local", "internal", "domestic", "premium", "local"],
}

function plan(ext: string, n: number): CallKind[] {
    const mix = MIX[ext]
    return Array.from({ length: n }, (_, i) => KINDS[mix[i % mix.length]])
}

/** What `dialguard report` must show per handset for the calls in `made`. */
interface Tally {
    calls: Record<string, number>
    blocked: Record<string, number>
    /** Long-distance calls, as dialled: the register must hold each once. */
    longDistance: { handset: string; number: string; category: string }[]
}

function emptyTally(): Record<string, Tally> {
    return Object.fromEntries(
        PORTS.map(p => [p, { calls: {}, blocked: {}, longDistance: [] }])
    )
}

function count(t: Tally, ext: string, k: CallKind) {
    if (k.blocked) t.blocked[k.blocked] = (t.blocked[k.blocked] ?? 0) + 1
    else {
        t.calls[k.category!] = (t.calls[k.category!] ?? 0) + 1
        if (k.category === "domestic" || k.category === "international")
            t.longDistance.push({
                handset: ext,
                number: k.digits,
                category: k.category,
            })
    }
}

// ------------------------------------------------------------- the session

let broker: TestBroker
let watcher: Watcher
let collector: ChildProcess
let s: SimSession
let probeButton: JDServiceServer & {
    down(): Promise<void>
    up(): Promise<void>
}
const made = emptyTally()
const measured: Record<string, unknown> = {}

function vmLines(fromIndex = 0): SimEvent[] {
    return s.rec.events.slice(fromIndex).filter(e => e.kind === "vm")
}

/** How many times the firmware program started since record index `from`. */
function starts(from = 0): number {
    return vmLines(from).filter(e => /^start: /.test(String(e.line))).length
}

/** The first event from record index `from` on for which `test` holds. */
async function event(
    from: number,
    test: (e: SimEvent) => boolean,
    what: string,
    timeoutMs = 10000
): Promise<SimEvent> {
    let i = from
    const hit = await s.rec.until(() => {
        const ev = s.rec.events
        for (; i < ev.length; i++) if (test(ev[i])) return ev[i]
        return undefined
    }, timeoutMs)
    if (!hit) {
        const story = s.rec.events
            .slice(from)
            .filter(e => e.ext === what.split(" ")[0] || e.kind === "log")
            .slice(-8)
            .map(e => JSON.stringify(e))
            .join("\n  ")
        throw new Error(`no ${what} within ${timeoutMs} ms; since:\n  ${story}`)
    }
    return hit
}

const isTone = (ext: string, tone: string) => (e: SimEvent) =>
    e.kind === "tone" && e.ext === ext && e.tone === tone

/** One call from `ext`: lift, dial, talk briefly or hear the refusal, hang up. */
async function call(ext: string, k: CallKind) {
    const port = s.port(ext)
    const from = s.rec.events.length
    await port.hook(true)
    await event(from, isTone(ext, "Dial"), `${ext} dial tone`)
    for (const key of k.digits) {
        await port.key(key)
        await sleep(KEY_GAP_MS)
    }
    if (k.dialled) {
        const d = await event(
            from,
            e => e.kind === "dial" && e.ext === ext,
            `${ext} dialling ${k.digits}`
        )
        expect(d.number, `${ext} dialled ${k.digits}`).toBe(k.dialled)
        await event(
            from,
            e => e.kind === "remoteAnswered" && e.ext === ext,
            `${ext} answer`
        )
        await sleep(150) // talk
    } else
        await event(
            from,
            isTone(ext, "Unobtainable"),
            `${ext} refusal of ${k.digits}`
        )
    await port.hook(false)
    await sleep(120)
}

/** Each handset makes its calls of `calls` in turn, all handsets at once. */
async function callAll(calls: Record<string, CallKind[]>) {
    await Promise.all(
        PORTS.map(async ext => {
            for (const k of calls[ext]) {
                await call(ext, k)
                count(made[ext], ext, k)
            }
        })
    )
}

async function push(version: number) {
    return dialguard([
        "policy",
        "push",
        policyFile(version),
        "--broker",
        broker.url,
        "--key",
        KEY_FILE,
        "--site",
        SITE,
        "--timeout",
        "30s",
    ])
}

/**
 * What the VM counted free at the probe's out-of-memory panic ("heap stats:
 * ... F B free (M B max block)", sim/vm.ts): the free heap in holes too
 * small for the probe's 256-byte blocks, in KB.
 */
let holesKb = -1

/**
 * Presses the probe button; resolves to the last "HEAP n" the firmware
 * printed before running out of memory, once it has started again and
 * taken on its ports (holesKb: what was left in smaller holes).
 */
async function probeHeap(): Promise<number> {
    const from = s.rec.events.length
    const before = starts()
    let started: SimEvent | undefined
    for (let i = 0; i < 10 && !started; i++) {
        await probeButton.down()
        await sleep(100)
        await probeButton.up()
        started = await s.rec.until(
            () => vmLines(from).find(e => e.line === "HEAP 0"),
            2000
        )
    }
    expect(started, "the heap probe never started").toBeDefined()
    const restarted = await s.rec.until(
        () => (starts() > before ? true : undefined),
        60000
    )
    expect(restarted, "the probe did not run the VM out of memory").toBe(true)
    let kb = -1
    holesKb = -1
    for (const e of vmLines(from)) {
        if (/^start: /.test(String(e.line))) break
        const m = /^HEAP ([\d.]+)$/.exec(String(e.line))
        if (m) kb = parseFloat(m[1])
        const h = /heap stats: .* (\d+) B free/.exec(String(e.line))
        if (h) holesKb = Math.round(parseInt(h[1]) / 102.4) / 10
    }
    // the out-of-memory panic is what the probe is for
    s.problems.length = 0
    const restart = s.rec.events.length
    for (let i = 0; i < PORTS.length; i++)
        await event(
            restart,
            e =>
                e.kind === "vm" && String(e.line).startsWith(`port ${i} ready`),
            `port ${i} ready after the probe`,
            30000
        )
    return kb
}

/** The board's retained counters, once they show `total` calls and blocks. */
async function countersWith(total: number, since: number, timeoutMs = 30000) {
    const sum = (v: any) => {
        let n = 0
        for (const h of Object.values<any>(v.handsets ?? {}))
            for (const g of [h.calls, h.blocked])
                for (const x of Object.values<number>(g ?? {})) n += x
        return n
    }
    return watcher.wait(COUNTERS, since, v => sum(v) === total, timeoutMs)
}

function totalMade(): number {
    let n = 0
    for (const t of Object.values(made))
        for (const g of [t.calls, t.blocked])
            for (const x of Object.values(g)) n += x
    return n
}

function registerLines(): any[] {
    return registerIn(CALLS_DIR)
}

describe.skipIf(skip)(
    `load: policy bursts and hundreds of calls, real firmware and ${testBrokerKind()}`,
    () => {
        let heapBefore = -1
        let loadFrom = 0

        beforeAll(async () => {
            writeFileSync(KEY_FILE, KEY_HEX + "\n", { mode: 0o600 })
            broker = await startBroker(testBrokerKind(), TMP)
            watcher = new Watcher(broker.url, SITE, "load-e2e-watcher")
            await watcher.start()
            collector = collect(broker.url, SITE, CALLS_DIR)
            mkdirSync(OUT, { recursive: true })
            s = await startSyncedBoard({
                firmware: "test/bench/probedMain.ts",
                ports: PORTS,
                board: BOARD,
                logFile: join(OUT, "load-e2e.log"),
                startTime: SIM_START,
                site: SITE,
                url: broker.url,
                key: KEY_HEX,
            })
            s.exchange.outside = { answerAfterMs: 100 }
            const server = new jd.ButtonServer()
            probeButton = server as typeof probeButton
            s.jdbus.addServiceProvider(
                new jd.JDServerServiceProvider("heap-probe", [server], {
                    deviceId: "5e1a0000000000ff",
                })
            )
        }, 20 * 60000)

        afterAll(async () => {
            writeFileSync(
                join(OUT, "load-e2e.measurements.json"),
                JSON.stringify(measured, null, 2) + "\n"
            )
            console.log("load e2e measurements: " + JSON.stringify(measured))
            await s?.stop()
            await stopChild(collector)
            watcher?.stop()
            await broker?.stop()
            rmSync(TMP, { recursive: true, force: true })
        }, 60000)

        test("v1 applied, one call of each kind per handset, baseline heap", async () => {
            const r = await push(1)
            expect(r.code, r.stdout + r.stderr).toBe(0)
            await callAll(
                Object.fromEntries(
                    PORTS.map(p => [p, MIX[p].map(k => KINDS[k])])
                )
            )
            await countersWith(totalMade(), 0)
            const probed = Date.now()
            heapBefore = await probeHeap()
            expect(heapBefore).toBeGreaterThan(4)
            measured["heapFreeBeforeKb"] = heapBefore
            measured["heapHolesBeforeKb"] = holesKb
            await watcher.wait(STATE, probed, v => v.policyVersion === 1, 30000)
            loadFrom = s.rec.events.length
        }, 180000)

        test("a burst of pushes, v2-v6 back to back then v7-v10 at once: v10 enforced, only forward", async () => {
            const t0 = Date.now()
            for (let v = 2; v <= 6; v++) {
                const r = await push(v)
                expect(r.code, `v${v}: ${r.stdout}${r.stderr}`).toBe(0)
            }
            const together = await Promise.all([7, 8, 9, 10].map(push))
            measured["concurrentPushExitCodes"] = together.map(r => r.code)
            // v10 can only be applied; an older one is applied, not
            // published because a newer one was already on the broker (exit
            // 1), or refused by the board that has a newer one, or left
            // unread as superseded (exit 3, and taken back)
            expect(
                together[3].code,
                together[3].stdout + together[3].stderr
            ).toBe(0)
            together.slice(0, 3).forEach((r, i) => {
                expect([0, 1, 3], r.stdout + r.stderr).toContain(r.code)
                // refused or superseded by a newer one of the four (when
                // it looked, the board may have been at v9, not yet v10)
                if (r.code !== 3) return
                const m =
                    /refused: older than version (\d+)|superseded +runs version (\d+), newer than/.exec(
                        r.stdout
                    )
                expect(m, r.stdout).not.toBeNull()
                expect(Number(m![1] ?? m![2])).toBeGreaterThan(7 + i)
            })
            // what the broker holds for the board (read afresh): the newest
            const status = await dialguard([
                "status",
                "--broker",
                broker.url,
                "--site",
                SITE,
                "--json",
            ])
            expect(JSON.parse(status.stdout).policies).toStrictEqual({
                [SITE]: 10,
            })
            const st = await watcher.wait(
                STATE,
                t0,
                v => v.policyVersion === 10
            )
            expect(watcher.parsed(ONLINE).pop()?.value).toBe(true)
            expect(await s.admin.policyVersion()).toBe(10)
            // every state since: never a version that went back
            const versions = watcher
                .parsed(STATE, t0)
                .map(m => m.value.policyVersion)
                .filter(v => v !== undefined)
            for (let i = 1; i < versions.length; i++)
                expect(versions[i]).toBeGreaterThanOrEqual(versions[i - 1])
            measured["burstMs"] = Date.now() - t0
            expect(starts(loadFrom)).toBe(0)
            expect(s.problems).toStrictEqual([])
        }, 240000)

        test(`${CALLS_PER_PORT * PORTS.length} calls on ${PORTS.length} handsets, broker restarted midway: report and register complete`, async () => {
            const t0 = Date.now()
            const half = Math.floor(CALLS_PER_PORT / 2)
            const first = Object.fromEntries(PORTS.map(p => [p, plan(p, half)]))
            const second = Object.fromEntries(
                PORTS.map(p => [p, plan(p, CALLS_PER_PORT).slice(half)])
            )
            await callAll(first)
            // the broker goes away for a few seconds while calls go on
            const outage = (async () => {
                await sleep(2000)
                await broker.stop()
                await sleep(4000)
                await broker.start()
            })()
            await callAll(second)
            await outage
            measured["callsMs"] = Date.now() - t0
            measured["calls"] = totalMade()

            const c = await countersWith(totalMade(), t0, 60000)
            const rep = JSON.parse(
                (
                    await dialguard([
                        "report",
                        "--broker",
                        broker.url,
                        "--site",
                        SITE,
                        "--month",
                        MONTH,
                        "--calls",
                        CALLS_DIR,
                        "--json",
                    ])
                ).stdout
            )
            expect(rep.boards).toStrictEqual([BOARD])
            for (const ext of PORTS) {
                const h = rep.handsets.find((h: any) => h.extension === ext)
                const want = made[ext]
                for (const [cat, n] of Object.entries(want.calls))
                    expect(h.calls[cat], `${ext} ${cat} calls`).toBe(n)
                for (const [code, n] of Object.entries(want.blocked))
                    expect(h.blocked[code], `${ext} blocked ${code}`).toBe(n)
                const callsSum = Object.values<number>(h.calls).reduce(
                    (a, b) => a + b,
                    0
                )
                expect(callsSum, `${ext} calls in all`).toBe(
                    Object.values(want.calls).reduce((a, b) => a + b, 0)
                )
            }
            expect(c.value.handsets).toBeDefined()

            // the register: every long-distance call once, none else
            const want = PORTS.flatMap(p => made[p].longDistance)
            let lines: any[] = []
            const end = Date.now() + 60000
            while (Date.now() < end) {
                lines = registerLines()
                if (lines.length >= want.length) break
                await sleep(200)
            }
            await sleep(2000) // a duplicate would arrive now
            lines = registerLines()
            const ids = lines.map(l => l.id)
            expect(new Set(ids).size, "record ids once each").toBe(ids.length)
            const key = (r: any) => `${r.handset} ${r.category} ${r.number}`
            expect(lines.map(key).sort()).toStrictEqual(want.map(key).sort())
            measured["longDistanceRecords"] = lines.length

            // the bill: a record for every call placed; its total priced
            // here from the same tariffs; records and counters agree
            const outgoing = () =>
                recordsIn(CALLS_DIR).filter(r => r.dir !== "in")
            expect(outgoing().length, "a record for every call").toBe(
                totalMade()
            )
            const wantFen = outgoing().reduce((n, r) => n + priceHere(r), 0)
            const premium = outgoing().filter(r => r.code === "premium").length
            expect(premium).toBeGreaterThan(0)
            const bill = async () => {
                const b = await dialguard([
                    "report",
                    "--broker",
                    broker.url,
                    "--site",
                    SITE,
                    "--month",
                    MONTH,
                    "--policy",
                    policyFile(10),
                    "--calls",
                    CALLS_DIR,
                    "--json",
                ])
                expect(b.code, b.stderr).toBe(0)
                return JSON.parse(b.stdout).bill
            }
            const b1 = await bill()
            expect(b1.total.fen).toBe(wantFen)
            expect(b1.total.fen).toBeGreaterThan(0)
            expect(b1.total.fines).toBe(premium * 10000)
            expect(b1.mismatches).toStrictEqual([])
            measured["billFen"] = b1.total.fen

            // a resend storm of every record, across a collector restart:
            // nothing changes
            await stopChild(collector)
            collector = collect(broker.url, SITE, CALLS_DIR)
            const storm = await mqtt.connectAsync(broker.url, {
                clientId: "load-e2e-storm",
            })
            const topic = `dialguard/${SITE}/${BOARD}/calls`
            for (const r of recordsIn(CALLS_DIR))
                await storm.publishAsync(topic, JSON.stringify(r), { qos: 1 })
            const marker = `${BOARD}-0-1`
            await storm.publishAsync(
                topic,
                JSON.stringify({
                    board: BOARD,
                    handset: "8001",
                    number: "52345678",
                    category: "local",
                    start: 0,
                    seconds: 0,
                    id: marker,
                    outcome: "noAnswer",
                }),
                { qos: 1 }
            )
            await storm.endAsync()
            const until = Date.now() + 60000
            while (
                Date.now() < until &&
                !recordsIn(CALLS_DIR).some(r => r.id === marker)
            )
                await sleep(200)
            expect(outgoing().filter(r => r.start > 0).length).toBe(totalMade())
            const b2 = await bill()
            expect(b2.total).toStrictEqual(b1.total)
            for (const l of lines) expect(l.board).toBe(BOARD)

            // back after the broker's restart
            await watcher.wait(ONLINE, t0, v => v === true)
            const st = await watcher.wait(STATE, t0, v => v.board === BOARD)
            const last = watcher.parsed(STATE).pop()!.value
            expect(last.droppedRecords ?? 0).toBe(0)
            expect(last.lastError).toBe("")
            expect(st.value.policyVersion).toBe(10)
            expect(
                starts(loadFrom),
                "the board restarted during the load"
            ).toBe(0)
            expect(s.problems).toStrictEqual([])
        }, 600000)

        test("bounded memory: no restart, and at least 8 KB free after the load", async () => {
            // a restart during the load would leave a fresh heap: no figure
            expect(
                starts(loadFrom),
                "the board restarted during the load"
            ).toBe(0)
            const probed = Date.now()
            const after = await probeHeap()
            measured["heapFreeAfterKb"] = after
            measured["heapHolesAfterKb"] = holesKb
            expect(after).toBeGreaterThanOrEqual(HEAP_FLOOR_KB)
            // and the board is back, v10, counters and all
            const st = await watcher.wait(
                STATE,
                probed,
                v => v.policyVersion === 10,
                30000
            )
            expect(st.value.lastError).toBe("")
        }, 180000)
    }
)
