// The month's bill, end to end (issue 11): a month of generated calls of
// every category through the REAL firmware in the simulator, synced to a
// REAL broker (mosquitto where installed, else aedes), collected by the
// REAL `dialguard collect` into SQLite and billed by `dialguard report`:
// - the calls are spread over the 30 days of November 2026 (Beijing time)
//   and talk for set lengths (0 s, 1 s, a tariff's first period exactly and
//   one second more, a unit exactly and one second more, an hour and more,
//   international prefix overrides), made exact by holding the firmware's
//   clock and moving it on (sim/session.ts advanceTime/holdTime): no
//   waiting for an hour's call;
// - busy, unanswered, unreachable and refused calls (premium, class) cost
//   nothing but the premium fines; missed incoming calls are listed;
// - the bill's total equals the sum priced HERE from the same tariffs (not
//   with src/fleet/pricing.ts), to the 分; records and counters agree;
// - a resend storm (every record republished many times) across a
//   collector restart changes nothing.
//
// ~80 s (70 s of it the calls); DIALGUARD_SKIP_SIM=1 skips it. What it
// measured is written to .devicescript/sim/bill-e2e.measurements.json.

import { ChildProcess } from "node:child_process"
import {
    mkdirSync,
    mkdtempSync,
    readFileSync,
    rmSync,
    writeFileSync,
} from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import mqtt from "mqtt"
import { SimEvent } from "../src/board/record"
import type { SimSession } from "../sim/session"
import { recordsIn } from "./callsDb"
import { testBrokerKind } from "./brokerChoice"
import {
    collect,
    dialguard,
    ROOT,
    sleep,
    startBroker,
    stopChild,
    TestBroker,
    Watcher,
    startSyncedBoard,
} from "./syncHarness"
import { parseCsv } from "../src/fleet/csv"

const OUT = join(ROOT, ".devicescript", "sim")
const skip = !!process.env["DIALGUARD_SKIP_SIM"]
const TMP = mkdtempSync(join(tmpdir(), "dialguard-bill-e2e-"))
const CALLS_DIR = join(TMP, "calls")
const SITE = "hq"
const BOARD = "bill-a"
const KEY_HEX = "6b".repeat(32)
const KEY_FILE = join(TMP, "hq.key")
const MONTH = "2026-11"
/** 1 November 2026, 09:00 Beijing time (01:00 UTC). */
const DAY_ONE = Date.UTC(2026, 10, 1, 1, 0, 0)
const DAYS = 30
const DAY_MS = 86400000
const STATE = `dialguard/${SITE}/${BOARD}/state`
const COUNTERS = `dialguard/${SITE}/${BOARD}/counters/${MONTH}`
const KEY_GAP_MS = 60
/** How often each record is republished in the storm. */
const STORM_COPIES = 5

// ------------------------------------------------------------- the policy

/** The tariffs (分); service has none: listed, not priced. */
const TARIFFS: Record<string, any> = {
    local: { firstSeconds: 180, first: 22, unitSeconds: 60, unit: 11 },
    mobile: { unitSeconds: 60, unit: 10 },
    domestic: { unitSeconds: 6, unit: 3 },
    international: {
        unitSeconds: 6,
        unit: 46,
        prefixes: { "001": 24, "00852": 12 },
    },
    tollfree: { unitSeconds: 60, unit: 0 },
}
const FINE = 5000

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
    const s = r.seconds
    if (t.firstSeconds === undefined) return Math.ceil(s / t.unitSeconds) * unit
    return (
        t.first +
        Math.ceil(Math.max(0, s - t.firstSeconds) / t.unitSeconds) * unit
    )
}

const PORTS = ["8001", "8002", "8003", "8004"]

const POLICY = {
    version: 1,
    tariffs: TARIFFS,
    premiumFine: FINE,
    site: { name: "HQ", areaCode: "025", ipPrefix: "17909" },
    departments: [
        {
            id: "admin",
            name: "人事行政部",
            floor: 3,
            x: 10,
            y: 4,
            head: "赵总",
        },
        { id: "sales", name: "销售部", floor: 3, x: 40, y: 4, head: "钱经理" },
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
            allow: "international",
            owner: ["张三", "李四"],
        },
        { extension: "8002", department: "sales", allow: "international" },
        {
            extension: "8003",
            department: "sales",
            allow: "local",
            owner: "孙六",
        },
        {
            extension: "8004",
            department: "admin",
            allow: "domestic",
            owner: "王五",
        },
    ],
}
const POLICY_FILE = join(TMP, "hq.policy.json")

// ------------------------------------------------------------- the calls

type Outcome =
    "answered" | "busy" | "noAnswer" | "unreachable" | "refused" | "missed"

interface Call {
    ext: string
    /** Keys pressed, or for a missed incoming call the caller's number. */
    digits: string
    /** What the board sends to the line (undefined: refused or incoming). */
    dialled?: string
    category: string
    outcome: Outcome
    /** Talk, for answered calls. */
    seconds?: number
    code?: string
}

const NUMBERS: Record<string, [string, string]> = {
    local: ["52345678", "52345678"],
    localBusy: ["52340000", "52340000"],
    mobile: ["13912345678", "13912345678"],
    mobileNoAnswer: ["13900000000", "13900000000"],
    domestic: ["01062345678", "1790901062345678"],
    domesticUnreachable: ["02161230000", "1790902161230000"],
    uk: ["00442079460000", "1790900442079460000"],
    us: ["0012125551234", "179090012125551234"],
    hk: ["0085212345678", "179090085212345678"],
    tollfree: ["4001234567", "4001234567"],
    service: ["10086", "10086"],
    internal: ["8000#", "8000"],
    emergency: ["110", "110"],
}

const OUTSIDE: Record<string, any> = {
    "52340000": { busy: true },
    "13900000000": { noAnswer: true, failAfterMs: 300 },
    "1790902161230000": { unreachable: true },
}

function out(
    ext: string,
    kind: string,
    category: string,
    seconds: number
): Call {
    const [digits, dialled] = NUMBERS[kind]
    return { ext, digits, dialled, category, outcome: "answered", seconds }
}

/** Every category, every edge of its tariff, on the handsets that may. */
function callList(): Call[] {
    const c: Call[] = []
    // local: first period 180 s, then per 60 s
    for (const s of [0, 1, 59, 179, 180, 181, 240, 241, 3600])
        c.push(out(["8003", "8001", "8004"][c.length % 3], "local", "local", s))
    // mobile: per 60 s
    for (const s of [1, 60, 61, 600])
        c.push(out(c.length % 2 ? "8003" : "8002", "mobile", "mobile", s))
    // domestic: per 6 s
    for (const s of [0, 1, 5, 6, 7, 125, 3600, 7201])
        c.push(out(c.length % 2 ? "8004" : "8001", "domestic", "domestic", s))
    // international: 46 per 6 s, 001 24, 00852 12
    for (const s of [1, 6, 7, 61]) c.push(out("8002", "uk", "international", s))
    for (const s of [6, 7, 600]) c.push(out("8001", "us", "international", s))
    for (const s of [1, 60, 3601]) c.push(out("8002", "hk", "international", s))
    c.push(out("8004", "tollfree", "tollfree", 60))
    c.push(out("8003", "tollfree", "tollfree", 601))
    c.push(out("8001", "service", "service", 61)) // no tariff: not priced
    c.push(out("8002", "internal", "internal", 30))
    c.push(out("8004", "emergency", "emergency", 5))
    // not answered: nothing to pay
    const failed = (
        ext: string,
        kind: string,
        category: string,
        o: Outcome
    ) => {
        const [digits, dialled] = NUMBERS[kind]
        c.push({ ext, digits, dialled, category, outcome: o })
    }
    failed("8001", "localBusy", "local", "busy")
    failed("8003", "mobileNoAnswer", "mobile", "noAnswer")
    failed("8004", "domesticUnreachable", "domestic", "unreachable")
    // refused: premium fined (owners, or the department), class not
    const refused = (
        ext: string,
        digits: string,
        category: string,
        code: string
    ) => c.push({ ext, digits, category, outcome: "refused", code })
    refused("8001", "16812345", "premium", "premium")
    refused("8002", "16888888", "premium", "premium")
    refused("8003", "16812345", "premium", "premium")
    refused("8003", "01062345678", "domestic", "class")
    // missed incoming calls, with the caller's number
    c.push({
        ext: "8001",
        digits: "02587654321",
        category: "",
        outcome: "missed",
    })
    c.push({
        ext: "8004",
        digits: "13800001111",
        category: "",
        outcome: "missed",
    })
    return c
}

// ------------------------------------------------------------- the session

let broker: TestBroker
let watcher: Watcher
let collector: ChildProcess
let s: SimSession
const measured: Record<string, unknown> = {}

async function event(
    from: number,
    test: (e: SimEvent) => boolean,
    what: string,
    timeoutMs = 15000
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
            .slice(-10)
            .map(e => JSON.stringify(e))
            .join("\n  ")
        throw new Error(`no ${what} within ${timeoutMs} ms; since:\n  ${story}`)
    }
    return hit
}

const isTone = (ext: string, tone: string) => (e: SimEvent) =>
    e.kind === "tone" && e.ext === ext && e.tone === tone
const at = (kind: string, ext: string) => (e: SimEvent) =>
    e.kind === kind && e.ext === ext

/**
 * Lifts the handset until the dial tone comes. Just after the clock moved
 * on, the VM misses the handset's events for up to a second (its Jacdac
 * devices seen as gone for that long and back): a person would lift again.
 */
async function lift(ext: string): Promise<number> {
    const port = s.port(ext)
    for (let i = 0; ; i++) {
        const from = s.rec.events.length
        await port.hook(true)
        const tone = await s.rec.until(
            () => s.rec.events.slice(from).find(isTone(ext, "Dial")),
            i < 20 ? 200 : 5000
        )
        if (tone) return from
        if (i >= 20) throw new Error(`${ext}: no dial tone`)
        await port.hook(false)
    }
}

/** Puts the handset down until the board has hung up the line. */
async function putDown(ext: string, from: number) {
    const port = s.port(ext)
    for (let i = 0; ; i++) {
        await port.hook(false)
        const done = await s.rec.until(
            () => s.rec.events.slice(from).find(at("hangUp", ext)),
            i < 30 ? 300 : 5000
        )
        if (done) return
        if (i >= 30) throw new Error(`${ext}: never hung up`)
    }
}

/** One call, as its Call says; answered calls talk exactly `seconds`. */
async function place(c: Call) {
    const port = s.port(c.ext)
    if (c.outcome === "missed") {
        const from = s.rec.events.length
        s.exchange.incomingFromOutside(c.digits, c.ext)
        await event(
            from,
            e => at("ring", c.ext)(e) && e.on === true,
            `${c.ext} ringing`
        )
        s.exchange.hangUpOutside(c.digits)
        await event(
            from,
            e => at("ring", c.ext)(e) && e.on === false,
            `${c.ext} ring stopped`
        )
        return
    }
    const from = await lift(c.ext)
    for (const key of c.digits) {
        await port.key(key)
        await sleep(KEY_GAP_MS)
    }
    if (c.outcome === "refused") {
        await event(
            from,
            isTone(c.ext, "Unobtainable"),
            `${c.ext} refusal of ${c.digits}`
        )
        await port.hook(false)
        return
    }
    const d = await event(
        from,
        at("dial", c.ext),
        `${c.ext} dialling ${c.digits}`
    )
    expect(d.number, `${c.ext} dialled ${c.digits}`).toBe(c.dialled)
    if (c.outcome !== "answered") {
        await event(from, at("callFailed", c.ext), `${c.ext} ${c.outcome}`)
        await event(
            from,
            isTone(c.ext, "Busy"),
            `${c.ext} busy tone after ${c.outcome}`
        )
        await port.hook(false)
        return
    }
    await event(from, at("remoteAnswered", c.ext), `${c.ext} answer`)
    // the talk: the board's clock held, moved on by exactly its length
    const t = Date.now()
    await s.holdTime(true)
    try {
        if (c.seconds) await s.advanceTime(c.seconds * 1000)
        await putDown(c.ext, from)
    } finally {
        await s.holdTime(false)
    }
    hangUpMs.push(Date.now() - t)
}
const hangUpMs: number[] = []

/** Waits until the collector holds `n` records. */
async function collected(n: number, timeoutMs = 60000) {
    const end = Date.now() + timeoutMs
    for (;;) {
        const have = recordsIn(CALLS_DIR).length
        if (have >= n) return
        if (Date.now() > end)
            throw new Error(`the collector holds ${have} records, not ${n}`)
        await sleep(50)
    }
}

/**
 * Before a call: the board answers a key at once (lift, a key stops the
 * dial tone, put down: no call); a VM busy for a while would take only the
 * last of the keys pressed meanwhile, and a call would lose digits.
 */
async function settle(ext: string) {
    const port = s.port(ext)
    for (let i = 0; i < 40; i++) {
        const from = await lift(ext)
        const t = Date.now()
        await port.key("1")
        const off = await s.rec.until(
            () => s.rec.events.slice(from).find(e => isTone(ext, "Off")(e)),
            1000
        )
        await port.hook(false)
        await s.rec.until(
            () =>
                s.rec.events
                    .slice(from)
                    .find(
                        e =>
                            e.kind === "tone" &&
                            e.ext === ext &&
                            e.tone === "Off"
                    )
                    ? true
                    : undefined,
            1000
        )
        if (off && Date.now() - t < 300) {
            settleProbes.push(i + 1)
            return
        }
    }
    throw new Error(`${ext}: the board never answered a key at once`)
}
const settleProbes: number[] = []

/**
 * Moves the site's time on to day `day` (0-based) of the month, 09:00: the
 * lines' wall clock at once, then 2 minutes of the board's own time, in
 * which it reads the wall clock again (every 60 ticks of its 1 s timer).
 */
async function toDay(day: number) {
    const target = DAY_ONE + day * DAY_MS - 120000
    const now = s.clock.unixSeconds() * 1000
    if (target > now) s.advanceWallClock(target - now)
    await s.advanceTime(120000)
}

describe.skipIf(skip)(
    `the month's bill: a month of calls through the real firmware and ${testBrokerKind()}`,
    () => {
        const calls = callList()

        beforeAll(async () => {
            writeFileSync(KEY_FILE, KEY_HEX + "\n", { mode: 0o600 })
            writeFileSync(POLICY_FILE, JSON.stringify(POLICY, null, 2))
            broker = await startBroker(testBrokerKind(), TMP)
            watcher = new Watcher(broker.url, SITE, "bill-e2e-watcher")
            await watcher.start()
            collector = collect(broker.url, SITE, CALLS_DIR)
            mkdirSync(OUT, { recursive: true })
            s = await startSyncedBoard({
                ports: PORTS,
                board: BOARD,
                logFile: join(OUT, "bill-e2e.log"),
                startTime: DAY_ONE - 3600000,
                site: SITE,
                url: broker.url,
                key: KEY_HEX,
            })
            s.exchange.outside = { answerAfterMs: 50 }
            s.exchange.outsideFor = n => OUTSIDE[n]
            const r = await dialguard([
                "policy",
                "push",
                POLICY_FILE,
                "--broker",
                broker.url,
                "--key",
                KEY_FILE,
                "--site",
                SITE,
                "--timeout",
                "30s",
            ])
            expect(r.code, r.stdout + r.stderr).toBe(0)
            await watcher.wait(STATE, 0, v => v.policyVersion === 1, 30000)
        }, 5 * 60000)

        afterAll(async () => {
            writeFileSync(
                join(OUT, "bill-e2e.measurements.json"),
                JSON.stringify(measured, null, 2) + "\n"
            )
            console.log("bill e2e measurements: " + JSON.stringify(measured))
            await s?.stop()
            await stopChild(collector)
            watcher?.stop()
            await broker?.stop()
            rmSync(TMP, { recursive: true, force: true })
        }, 60000)

        test(
            `${calls.length} calls over ${DAYS} days: the bill's total is the sum priced here; a resend storm and a collector restart change nothing`,
            async () => {
                const t0 = Date.now()
                // spread over the month, a few calls a day
                for (let i = 0; i < calls.length; i++) {
                    const day = Math.floor((i * DAYS) / calls.length)
                    const prev = Math.floor(((i - 1) * DAYS) / calls.length)
                    if (i === 0 || day !== prev) await toDay(day)
                    await settle(calls[i].ext)
                    await place(calls[i])
                    // the record reached the collector before the next call:
                    // the board's queue stays short
                    await collected(i + 1)
                }
                measured["callsMs"] = Date.now() - t0
                measured["hangUpMsMax"] = Math.max(...hangUpMs)
                measured["settleProbesMax"] = Math.max(...settleProbes)
                measured["calls"] = calls.length

                // every record collected
                const end = Date.now() + 120000
                let recs = recordsIn(CALLS_DIR)
                while (recs.length < calls.length && Date.now() < end) {
                    await sleep(250)
                    recs = recordsIn(CALLS_DIR)
                }
                expect(recs.length, "a record for every call").toBe(
                    calls.length
                )
                measured["collectedMs"] = Date.now() - t0

                // spread over the month, each call as placed
                const days = new Set(
                    recs.map(r =>
                        new Date((r.start + 8 * 3600) * 1000).getUTCDate()
                    )
                )
                measured["days"] = [...days].sort((a, b) => a - b).join(" ")
                expect(
                    days.size,
                    recs.map(r => `${r.handset} ${r.start}`).join(", ")
                ).toBeGreaterThanOrEqual(DAYS - 1)
                for (const r of recs)
                    expect(
                        new Date((r.start + 8 * 3600) * 1000)
                            .toISOString()
                            .slice(0, 7)
                    ).toBe(MONTH)
                const talk = recs
                    .filter(r => r.dir !== "in" && r.outcome === "answered")
                    .map(r => `${r.handset} ${r.number} ${r.seconds}`)
                    .sort()
                const want = calls
                    .filter(c => c.outcome === "answered")
                    .map(
                        c =>
                            `${c.ext} ${c.digits.replace(/#$/, "")} ${c.seconds}`
                    )
                    .sort()
                expect(talk).toStrictEqual(want)
                const outcomes = (xs: string[]) => xs.sort().join(",")
                expect(
                    outcomes(recs.map(r => `${r.handset}:${r.outcome}`))
                ).toBe(outcomes(calls.map(c => `${c.ext}:${c.outcome}`)))

                // priced here
                const wantFen = recs.reduce((n, r) => n + priceHere(r), 0)
                const premium = calls.filter(c => c.code === "premium").length
                measured["wantFen"] = wantFen

                const bill = async (extra: string[] = []) => {
                    const t = Date.now()
                    const b = await dialguard([
                        "report",
                        "--broker",
                        broker.url,
                        "--site",
                        SITE,
                        "--month",
                        MONTH,
                        "--policy",
                        POLICY_FILE,
                        "--calls",
                        CALLS_DIR,
                        ...extra,
                    ])
                    expect(b.code, b.stderr).toBe(0)
                    return { ...b, ms: Date.now() - t }
                }
                // the counters the report compares with: every call counted
                const answered = calls.filter(
                    c => c.outcome === "answered"
                ).length
                await watcher.wait(
                    COUNTERS,
                    t0,
                    v => {
                        let n = 0
                        for (const h of Object.values<any>(v.handsets ?? {}))
                            for (const x of Object.values<number>(
                                h.calls ?? {}
                            ))
                                n += x
                        return n === answered
                    },
                    60000
                )
                // the board publishes a month's counters at most every 2 s:
                // the last incoming calls may come in a later message than
                // the answered ones waited for above
                let j1 = await bill(["--json"])
                for (
                    const until = Date.now() + 60000;
                    JSON.parse(j1.stdout).bill.mismatches.length &&
                    Date.now() < until;
                ) {
                    await sleep(1000)
                    j1 = await bill(["--json"])
                }
                const b1 = JSON.parse(j1.stdout).bill
                expect(b1.total.fen).toBe(wantFen)
                expect(b1.total.fines).toBe(premium * FINE)
                expect(b1.mismatches).toStrictEqual([])
                expect(j1.stderr).toContain("no tariff for service")
                measured["billFen"] = b1.total.fen
                measured["billYuan"] = (b1.total.fen / 100).toFixed(2)
                measured["finesYuan"] = (b1.total.fines / 100).toFixed(2)

                // the text, the CSV and the workbook say the same, to the 分
                const files = await bill([
                    "--csv",
                    join(TMP, "nov.csv"),
                    "--xlsx",
                    join(TMP, "nov.xlsx"),
                ])
                measured["reportMs"] = files.ms
                const yuan = (fen: number) => (fen / 100).toFixed(2)
                expect(files.stdout).toContain(
                    `calls ${yuan(wantFen)} 元, premium fines ${yuan(premium * FINE)} 元, total ${yuan(wantFen + premium * FINE)} 元`
                )
                const sheet = parseCsv(
                    readFileSync(join(TMP, "nov-bill-handsets.csv"), "utf8")
                )
                const totals = sheet[sheet.length - 1]
                expect(totals[0]).toBe("合计")
                expect(totals[sheet[0].indexOf("话费(元)")]).toBe(yuan(wantFen))
                // the counters' CSV: whole billed minutes, as the bill's
                const counted = parseCsv(
                    readFileSync(join(TMP, "nov-handsets.csv"), "utf8")
                )
                const minutesOf = (rows: string[][], col: string) =>
                    rows
                        .slice(1)
                        .filter(r => r[0] !== "合计")
                        .reduce(
                            (n, r) => n + Number(r[rows[0].indexOf(col)] || 0),
                            0
                        )
                expect(minutesOf(counted, "合计 计费分钟")).toBe(
                    b1.total.minutes
                )
                expect(minutesOf(sheet, "计费分钟")).toBe(b1.total.minutes)
                const XLSX = await import("xlsx")
                const wb = XLSX.read(readFileSync(join(TMP, "nov.xlsx")))
                const rows = XLSX.utils.sheet_to_json<any[]>(
                    wb.Sheets["话费汇总"],
                    { header: 1 }
                )
                const last = rows[rows.length - 1]
                expect(last[rows[0].indexOf("话费(元)")]).toBeCloseTo(
                    wantFen / 100,
                    2
                )

                // a resend storm of every record, across a collector restart
                const stormFrom = Date.now()
                const storm = await mqtt.connectAsync(broker.url, {
                    clientId: "bill-e2e-storm",
                })
                const topic = `dialguard/${SITE}/${BOARD}/calls`
                const stored = recordsIn(CALLS_DIR)
                for (let k = 0; k < STORM_COPIES; k++) {
                    if (k === 2) {
                        await stopChild(collector)
                        collector = collect(broker.url, SITE, CALLS_DIR)
                    }
                    for (const r of stored)
                        await storm.publishAsync(topic, JSON.stringify(r), {
                            qos: 1,
                        })
                }
                // a last new record marks the end of the storm at the collector
                const marker = `${BOARD}-storm-end`
                await storm.publishAsync(
                    topic,
                    JSON.stringify({
                        board: BOARD,
                        handset: "8001",
                        number: "52345678",
                        category: "local",
                        start: Math.floor(Date.UTC(2026, 9, 15) / 1000),
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
                measured["stormMs"] = Date.now() - stormFrom
                measured["stormMessages"] = stored.length * STORM_COPIES
                expect(recordsIn(CALLS_DIR).length).toBe(calls.length + 1)
                const b2 = JSON.parse((await bill(["--json"])).stdout).bill
                expect(b2.total).toStrictEqual(b1.total)
                expect(b2.handsets).toStrictEqual(b1.handsets)
                expect(b2.people).toStrictEqual(b1.people)
                expect(s.problems).toStrictEqual([])
            },
            15 * 60000
        )
    }
)
