// `report`: a site's month for finance and the admin office, from the
// boards' retained counters (rules (二)3.7 bill split, (一)5 premium-line
// attempts, (一)8 three rings) and the long-distance register that
// `dialguard collect` keeps (rule (一)4).

import { existsSync, readFileSync, statSync } from "node:fs"
import { basename, dirname, join } from "node:path"
import { Policy } from "../../devs/policy/types"
import {
    BLOCKED_CODES,
    CALL_CATEGORIES,
    CALLER_OUTCOMES,
    INCOMING_OUTCOMES,
    RULE_COUNTS,
} from "../../devs/phone/counters"
import type { Bill } from "./bill"
import {
    BoardVerifier,
    RefusedMessage,
    SeenCounters,
    verificationWarnings,
    verifyRetained,
} from "./boardSig"
import { FleetConnection } from "./broker"
import { RulesSection, rulesSection } from "./reportRules"
import { CallStore, DB_NAME, openForReading } from "./callStore"
import { billedMinutes } from "./pricing"
import {
    CallRecord,
    CounterNames,
    HandsetCounters,
    UNKNOWN_MONTH,
    beijingTime,
    checkCounters,
    isLongDistanceRecord,
    outcomeOf,
    countersFilter,
    parsePayload,
    parseTopic,
    stateFilter,
} from "./topics"

export const NAMES: CounterNames = {
    categories: CALL_CATEGORIES as string[],
    codes: BLOCKED_CODES as string[],
    outcomes: INCOMING_OUTCOMES as string[],
    callerOutcomes: CALLER_OUTCOMES as string[],
    rules: RULE_COUNTS,
}

/** Chinese names of the call categories, for finance. */
export const CATEGORY_ZH: Record<string, string> = {
    internal: "内线",
    emergency: "紧急",
    local: "市话",
    mobile: "手机",
    domestic: "国内长途",
    international: "国际长途",
    tollfree: "免费电话",
    service: "服务号码",
}

export const NOT_IN_POLICY = "(not in policy)"

function zeros(names: string[]): Record<string, number> {
    const r: Record<string, number> = {}
    for (const n of names) r[n] = 0
    return r
}

export function emptyCounters(): HandsetCounters {
    return {
        calls: zeros(NAMES.categories),
        seconds: zeros(NAMES.categories),
        blocked: zeros(NAMES.codes),
        incoming: zeros(NAMES.outcomes),
        caller: zeros(NAMES.callerOutcomes),
        rules: zeros(RULE_COUNTS),
    }
}

const GROUPS = ["calls", "seconds", "blocked", "incoming", "caller"] as const

function addInto(to: HandsetCounters, from: HandsetCounters) {
    for (const k of GROUPS)
        for (const n of Object.keys(from[k]))
            to[k][n] = (to[k][n] ?? 0) + from[k][n]
    // issue 12: the office-rule counts (boards before it send none)
    const fr = from.rules
    if (fr) {
        const tr = to.rules ?? (to.rules = zeros(RULE_COUNTS))
        for (const n of Object.keys(fr)) tr[n] = (tr[n] ?? 0) + fr[n]
    }
}

const sum = (r: Record<string, number>) =>
    Object.values(r).reduce((a, b) => a + b, 0)

/**
 * Sums counters messages per handset over boards. The same handset may
 * appear on several boards (moved mid-month): its counts add up.
 */
export class CountersAccumulator {
    readonly handsets = new Map<string, HandsetCounters>()
    /** Boards per handset. */
    readonly boardsOf = new Map<string, Set<string>>()
    readonly boards = new Set<string>()
    readonly warnings: string[] = []
    messages = 0

    /** Adds one counters message (topic decides board and month). */
    add(board: string, month: string, payload: Buffer | string): boolean {
        const text =
            typeof payload === "string" ? payload : payload.toString("utf8")
        const p = parsePayload(text)
        const unknown: string[] = []
        const c =
            p.value !== undefined
                ? checkCounters(p.value, NAMES, unknown)
                : { error: p.error }
        const where = `counters of board ${board} for ${month}`
        if (!c.value) {
            this.warnings.push(`${where}: ignored: ${c.error}`)
            return false
        }
        if (unknown.length)
            this.warnings.push(
                `${where}: unknown keys left out: ${unknown.join(", ")}`
            )
        if (c.value.month !== month)
            this.warnings.push(
                `${where}: the message says month ${JSON.stringify(c.value.month)}`
            )
        this.messages++
        this.boards.add(board)
        for (const [ext, h] of Object.entries(c.value.handsets)) {
            let to = this.handsets.get(ext)
            if (!to) this.handsets.set(ext, (to = emptyCounters()))
            addInto(to, h)
            let b = this.boardsOf.get(ext)
            if (!b) this.boardsOf.set(ext, (b = new Set()))
            b.add(board)
        }
        return true
    }
}

export interface Row extends HandsetCounters {
    totalCalls: number
    totalSeconds: number
    premium: number
    otherBlocked: number
    /**
     * The handset's view (`incoming`): onTime / (onTime + late) in %, one
     * decimal; undefined when nothing was answered.
     */
    onTimePercent?: number
    /** The caller's view (`caller`): calls that ended here, answered or given up. */
    callsEnded: number
    /**
     * With the call records (--calls): whole billed minutes by category
     * (every started minute of an answered outgoing call, as the bill and
     * the register count them); undefined without them.
     */
    billedMinutes?: Record<string, number>
    /** The billed minutes of every category summed; undefined without the records. */
    totalBilledMinutes?: number
    /**
     * caller.onTime / callsEnded in %, one decimal: answered within three
     * rings of the caller's first ring; undefined when no call ended here.
     */
    callerOnTimePercent?: number
}

export interface HandsetRow extends Row {
    extension: string
    name: string
    department: string
    departmentName: string
    boards: string[]
}

export interface DepartmentRow extends Row {
    id: string
    name: string
    handsets: number
}

export interface RegisterEntry extends CallRecord {
    /** Beijing time of start, "" when unknown. */
    time: string
    department: string
}

export interface Report {
    site: string
    month: string
    boards: string[]
    policy?: { file: string; version: number }
    handsets: HandsetRow[]
    /** Every handset summed: the site's month. */
    total: Row
    /** Only with a policy (extensions → departments). */
    departments?: DepartmentRow[]
    /** Handsets with blocked premium-line attempts, most first (rule (一)5). */
    premium: {
        extension: string
        name: string
        department: string
        attempts: number
    }[]
    /** Only with a register folder. */
    register?: {
        file: string
        calls: RegisterEntry[]
        /** Long-distance calls the boards counted this month. */
        counted: number
    }
    /** Boards with counters of calls made before they knew the date. */
    unknownMonth: { board: string; calls: number }[]
    /** Issue 12: office rules per handset, calls per code owner (src/fleet/reportRules.ts). */
    rules: RulesSection
    warnings: string[]
    /**
     * Board messages refused (forged, unsigned or replayed: with --key),
     * not counted; empty when all verified or none was checked.
     */
    refused?: RefusedMessage[]
    /** With a policy and the call records: the month's bill (src/fleet/bill.ts). */
    bill?: Bill
}

/** part / whole in %, one decimal; undefined when whole is 0. */
function share(part: number, whole: number): number | undefined {
    return whole > 0 ? Math.round((part / whole) * 1000) / 10 : undefined
}

function rowOf(c: HandsetCounters): Row {
    const onTime = c.incoming["onTime"] ?? 0
    const late = c.incoming["late"] ?? 0
    const callsEnded = sum(c.caller)
    return {
        ...c,
        totalCalls: sum(c.calls),
        totalSeconds: sum(c.seconds),
        premium: c.blocked["premium"] ?? 0,
        otherBlocked: sum(c.blocked) - (c.blocked["premium"] ?? 0),
        onTimePercent: share(onTime, onTime + late),
        callsEnded,
        callerOnTimePercent: share(c.caller["onTime"] ?? 0, callsEnded),
    }
}

/** The counts of `rows` added up. */
function summed(rows: HandsetCounters[]): Row {
    const total = emptyCounters()
    for (const r of rows) addInto(total, r)
    return rowOf(total)
}

/** Extensions in policy order first, then the others numerically. */
function orderExtensions(exts: string[], policy?: Policy): string[] {
    const order = new Map(policy?.handsets.map((h, i) => [h.extension, i]))
    return exts.sort((a, b) => {
        const ia = order.get(a) ?? Infinity
        const ib = order.get(b) ?? Infinity
        if (ia !== ib) return ia - ib
        return a.length - b.length || a.localeCompare(b)
    })
}

/**
 * The month's call records of register folder `dir` (its calls.sqlite;
 * the JSONL files of older versions when it has none yet): `calls` the
 * long-distance register (rule (一)4, a view of the records), `all` every
 * record of the month.
 */
export function readRegister(
    dir: string,
    month: string,
    warnings: string[]
): { file: string; calls: CallRecord[]; all: CallRecord[] } {
    if (!existsSync(dir))
        throw new RegisterError(`call register folder ${dir} does not exist`)
    if (!statSync(dir).isDirectory()) {
        const parent = dirname(dir)
        const inRegister =
            /^calls-.*\.jsonl$/.test(basename(dir)) || basename(dir) === DB_NAME
        throw new RegisterError(
            `--calls ${dir} is a file, not a folder: give the folder 'dialguard collect --out DIR' writes` +
                (inRegister ? ` (here --calls ${parent})` : "")
        )
    }
    const file = join(dir, DB_NAME)
    let store: CallStore
    try {
        store = openForReading(dir)
    } catch (e) {
        throw new RegisterError(
            `cannot read the call records in ${file}: ${(e as Error).message}`
        )
    }
    try {
        for (const w of store.warnings) warnings.push(w)
        const all = store.month(month)
        const conflicts = store.conflicts().length
        if (conflicts)
            warnings.push(
                `${file}: ${conflicts} record(s) came again with an id already stored but other content (table conflicts): a board's record ids restarted`
            )
        if (all.length === 0)
            warnings.push(
                `no call records in ${dir} for ${month}: none collected`
            )
        return { file, calls: all.filter(isLongDistanceRecord), all }
    } finally {
        store.close()
    }
}

export class RegisterError extends Error {}

export interface ReportInput {
    site: string
    month: string
    acc: CountersAccumulator
    unknownMonth: { board: string; calls: number }[]
    policy?: { file: string; policy: Policy }
    register?: { file: string; calls: CallRecord[]; all?: CallRecord[] }
    warnings: string[]
}

/**
 * Whole billed minutes per handset and category, from the month's records.
 * A handset with records of older firmware (long distance only, no
 * outcome) has them for domestic and international only: the others are
 * left out (unknown, not 0).
 */
function billedMinutesOf(
    records: CallRecord[]
): Map<string, Record<string, number>> {
    const by = new Map<string, Record<string, number>>()
    const older = new Set<string>()
    for (const r of records) {
        let m = by.get(r.handset)
        if (!m) by.set(r.handset, (m = zeros(NAMES.categories)))
        if (!r.outcome) older.add(r.handset)
        if (r.dir === "in" || outcomeOf(r) !== "answered") continue
        m[r.category] = (m[r.category] ?? 0) + billedMinutes(r.seconds)
    }
    for (const ext of older) {
        const m = by.get(ext)!
        for (const c of NAMES.categories)
            if (c !== "domestic" && c !== "international") delete m[c]
    }
    return by
}

/** The total only when every category is known. */
function withMinutes<T extends Row>(row: T, m?: Record<string, number>): T {
    if (!m) return row
    const complete = NAMES.categories.every(c => m[c] !== undefined)
    return {
        ...row,
        billedMinutes: m,
        totalBilledMinutes: complete ? sum(m) : undefined,
    }
}

/** Per category, summed where every row knows it. */
function addMinutes(rows: Row[]): Record<string, number> {
    const m: Record<string, number> = {}
    for (const c of NAMES.categories)
        if (rows.every(r => r.billedMinutes?.[c] !== undefined))
            m[c] = rows.reduce((n, r) => n + r.billedMinutes![c], 0)
    return m
}

export function buildReport(input: ReportInput): Report {
    const { acc, policy } = input
    const all = input.register?.all
    const minutesBy = all ? billedMinutesOf(all) : undefined
    const minutesOf = (ext: string) =>
        minutesBy ? (minutesBy.get(ext) ?? zeros(NAMES.categories)) : undefined
    const byExt = new Map(policy?.policy.handsets.map(h => [h.extension, h]))
    const deptName = new Map(
        policy?.policy.departments.map(d => [d.id, d.name])
    )
    const deptOf = (ext: string) =>
        byExt.get(ext)?.department ?? (policy ? NOT_IN_POLICY : "")
    // with a policy every handset is listed, those without calls too
    const exts = new Set(acc.handsets.keys())
    for (const h of policy?.policy.handsets ?? []) exts.add(h.extension)
    const handsets: HandsetRow[] = orderExtensions(
        [...exts],
        policy?.policy
    ).map(ext => {
        const h = byExt.get(ext)
        const department = deptOf(ext)
        return withMinutes(
            {
                extension: ext,
                name: h?.name ?? "",
                department,
                departmentName: deptName.get(department) ?? "",
                boards: [...(acc.boardsOf.get(ext) ?? [])].sort(),
                ...rowOf(acc.handsets.get(ext) ?? emptyCounters()),
            },
            minutesOf(ext)
        )
    })
    let departments: DepartmentRow[] | undefined
    if (policy) {
        const ids = policy.policy.departments.map(d => d.id)
        if (handsets.some(h => h.department === NOT_IN_POLICY))
            ids.push(NOT_IN_POLICY)
        departments = ids.map(id => {
            const members = handsets.filter(h => h.department === id)
            return withMinutes(
                {
                    id,
                    name: deptName.get(id) ?? "",
                    handsets: members.length,
                    ...summed(members),
                },
                minutesBy && addMinutes(members)
            )
        })
    }
    const premium = handsets
        .filter(h => h.premium > 0)
        .map(h => ({
            extension: h.extension,
            name: h.name,
            department: h.departmentName || h.department,
            attempts: h.premium,
        }))
        .sort((a, b) => b.attempts - a.attempts)
    let register: Report["register"]
    if (input.register) {
        const calls = input.register.calls
            .map(c => ({
                ...c,
                time: beijingTime(c.start),
                department:
                    deptName.get(deptOf(c.handset)) || deptOf(c.handset),
            }))
            .sort((a, b) => a.start - b.start || a.id.localeCompare(b.id))
        const counted = handsets.reduce(
            (n, h) =>
                n +
                (h.calls["domestic"] ?? 0) +
                (h.calls["international"] ?? 0),
            0
        )
        register = { file: input.register.file, calls, counted }
    }
    return {
        site: input.site,
        month: input.month,
        boards: [...acc.boards].sort(),
        policy: policy
            ? { file: policy.file, version: policy.policy.version }
            : undefined,
        handsets,
        total: withMinutes(summed(handsets), minutesBy && addMinutes(handsets)),
        departments,
        premium,
        register,
        unknownMonth: input.unknownMonth,
        rules: rulesSection(handsets, register?.calls),
        warnings: [...input.warnings, ...acc.warnings],
    }
}

/**
 * Reads the retained counters of every board of `site` for `month` (and
 * for "unknown", to point out calls the month cannot include).
 */
export async function readCounters(
    conn: FleetConnection,
    site: string,
    month: string,
    verifier = new BoardVerifier(undefined),
    seen = new SeenCounters()
): Promise<{
    acc: CountersAccumulator
    unknownMonth: { board: string; calls: number }[]
    refused: RefusedMessage[]
}> {
    const filters = [countersFilter(site, month)]
    if (month !== UNKNOWN_MONTH)
        filters.push(countersFilter(site, UNKNOWN_MONTH))
    // the states too: a board's count restarted (a fresh flash) shows there
    if (verifier.siteKey) filters.push(stateFilter(site))
    // signed messages checked: forged, unsigned or replayed ones are not counted
    const check = verifyRetained(
        await conn.readRetained(filters, site),
        verifier,
        seen
    )
    seen.save()
    const retained = check.use
    const acc = new CountersAccumulator()
    acc.warnings.push(...verificationWarnings(check), ...seen.warnings)
    const unknownMonth: { board: string; calls: number }[] = []
    for (const topic of [...retained.keys()].sort()) {
        const t = parseTopic(topic)
        if (t?.kind !== "counters" || !t.board) continue
        const payload = retained.get(topic)!
        if (t.month === month) {
            acc.add(t.board, month, payload)
            continue
        }
        const one = new CountersAccumulator()
        if (one.add(t.board, UNKNOWN_MONTH, payload)) {
            let calls = 0
            for (const h of one.handsets.values()) calls += sum(h.calls)
            if (calls > 0) unknownMonth.push({ board: t.board, calls })
        }
        acc.warnings.push(...one.warnings)
    }
    return { acc, unknownMonth, refused: check.refused }
}

// ---------------------------------------------------------------- rendering

export function minutes(seconds: number): number {
    return Math.round((seconds / 60) * 10) / 10
}

/** 125 → "2:05". */
export function duration(seconds: number): string {
    const s = Math.round(seconds)
    return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`
}

export function percent(p: number | undefined): string {
    return p === undefined ? "-" : `${p.toFixed(1)}%`
}

/** Categories with any call in the report, in CALL_CATEGORIES order. */
export function usedCategories(rows: Row[]): string[] {
    return NAMES.categories.filter(c => rows.some(r => (r.calls[c] ?? 0) > 0))
}
