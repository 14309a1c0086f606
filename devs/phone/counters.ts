// Per-handset monthly call statistics, for the bill finance splits by the
// 3rd of each month (rule (二)3.7.1), premium-line fines ((一)5) and the
// answer-within-three-rings rule ((一)8).
//
// Rule (一)8 is counted two ways. `incoming` is the handset's view (who let
// it ring): each handset a call rang at counts it once, by its own rings:
// answered on time or late, forwarded on, or missed (the caller gave up
// there). `caller` is the caller's view, counted once per call at the
// handset where it ended: answered within three rings of the caller's
// first ring, counting every hop it rang at before (onTime, late), or given
// up by the caller (missed). A call rung 3 times at 8001 and answered on
// the 1st ring at 8101: 8001 incoming.forwarded, 8101 incoming.onTime and
// 8101 caller.late (the caller heard 4 rings).
// Portable: no @devicescript/* import, the same file runs in the VM and Node.
//
// Months are "YYYY-MM" strings from the caller, or "unknown" before the
// clock is set ("unknown" sorts before every dated month). Memory stays
// bounded: only the newest month seen and the one before it are kept
// (plus "unknown"); recording a newer month drops anything older, and
// dropBefore() drops months once they are published.

import { BlockCode } from "../engine/dialSession"
import { Category } from "../numbering/categories"

export type IncomingOutcome = "onTime" | "late" | "forwarded" | "missed"
export type CallerOutcome = "onTime" | "late" | "missed"

/** Categories a call can be placed in (premium and invalid are always blocked). */
export const CALL_CATEGORIES: Category[] = [
    "internal",
    "emergency",
    "local",
    "mobile",
    "domestic",
    "international",
    "tollfree",
    "service",
]
export const BLOCKED_CODES: BlockCode[] = [
    "premium",
    "class",
    "receiveOnly",
    "suspended",
    "invalid",
    "siteBlocked",
]
export const INCOMING_OUTCOMES: IncomingOutcome[] = [
    "onTime",
    "late",
    "forwarded",
    "missed",
]
export const CALLER_OUTCOMES: CallerOutcome[] = ["onTime", "late", "missed"]
/**
 * Issue 12 office rules, per handset (devs/phone/handsetPort.ts RuleEvent),
 * then private calls and their seconds (deductible from the owner's pay).
 */
export const RULE_COUNTS: string[] = [
    "codeCalls",
    "codeWrong",
    "codeLockouts",
    "hoursRefused",
    "afterHours",
    "hoursUnknown",
    "warned",
    "cut",
    "privateCalls",
    "privateSeconds",
]

// One month of one handset is a fixed-order number array ("row"): calls by
// category, seconds by category, blocked by code, incoming by outcome,
// caller by outcome. Rows saved before a group was added are shorter: the
// missing counts read 0.
const CALLS = 0
const SECONDS = CALLS + 8
const BLOCKED = SECONDS + 8
const INCOMING = BLOCKED + 6
const CALLER = INCOMING + 4
const RULES = CALLER + 3
/** Rows start without the rules group: it is added when first counted (heap). */
export const ROW_LENGTH = RULES
const FULL_LENGTH = RULES + 10

/**
 * A new row of zeros. Copied once built: in the VM an array pushed to its
 * length keeps room to grow, a copy is allocated at its exact size
 * (measured: 269 against 182 bytes of heap per row).
 */
function zeroRow(from?: number[]): number[] {
    const r: number[] = []
    const n = from ? FULL_LENGTH : ROW_LENGTH
    for (let i = 0; i < n; ++i) r.push(from && i < from.length ? from[i] : 0)
    return r.slice(0)
}

export const UNKNOWN_MONTH = "unknown"
export const DEFAULT_ON_TIME_RINGS = 3
/** Longest believable call; anything else counts 0 seconds. */
const MAX_CALL_SECONDS = 24 * 3600

/** 0-99 as two digits. */
export function twoDigits(n: number): string {
    return (n < 10 ? "0" : "") + n
}

/** year * 12 + month - 1; -1 for "unknown"; -2 if malformed. */
export function monthIndex(month: string): number {
    if (month === UNKNOWN_MONTH) return -1
    if (
        typeof month !== "string" ||
        month.length !== 7 ||
        month.charAt(4) !== "-"
    )
        return -2
    const y = parseInt(month.slice(0, 4))
    const m = parseInt(month.slice(5))
    if (!(y >= 1000) || "" + y !== month.slice(0, 4)) return -2
    if (!(m >= 1 && m <= 12) || twoDigits(m) !== month.slice(5)) return -2
    return y * 12 + m - 1
}

export function monthName(index: number): string {
    if (index < 0) return UNKNOWN_MONTH
    return Math.floor(index / 12) + "-" + twoDigits((index % 12) + 1)
}

/** "2025-01" → "2024-12". */
export function previousMonth(month: string): string {
    const i = monthIndex(month)
    return i > 0 ? monthName(i - 1) : UNKNOWN_MONTH
}

export interface MonthCounters {
    extension: string
    month: string
    /** By category in CALL_CATEGORIES. */
    calls: Record<string, number>
    seconds: Record<string, number>
    /** By code in BLOCKED_CODES. */
    blocked: Record<string, number>
    /** By outcome in INCOMING_OUTCOMES: the handset's view. */
    incoming: Record<string, number>
    /** By outcome in CALLER_OUTCOMES: the caller's view of calls that ended here. */
    caller: Record<string, number>
    /** Issue 12: by name in RULE_COUNTS. */
    rules: Record<string, number>
    totalCalls: number
    totalSeconds: number
    totalBlocked: number
    totalIncoming: number
    totalCaller: number
}

/** toJSON() form: rows by extension then month. */
export interface CountersJSON {
    v: number
    rows: Record<string, Record<string, number[]>>
}

function named(
    row: number[],
    at: number,
    names: string[]
): Record<string, number> {
    const r: Record<string, number> = {}
    names.forEach((n, i) => {
        r[n] = row[at + i] || 0
    })
    return r
}

function sum(row: number[], at: number, n: number): number {
    let s = 0
    for (let i = at; i < at + n; ++i) s += row[i] || 0
    return s
}

export class CallCounters {
    /** Answered within this many rings counts as on time. */
    onTimeRings: number
    private rows: Record<string, Record<string, number[]>>
    /** Index of the newest dated month recorded; -1 none. */
    private latest: number

    constructor(onTimeRings?: number) {
        this.onTimeRings =
            onTimeRings === undefined ? DEFAULT_ON_TIME_RINGS : onTimeRings
        this.rows = {}
        this.latest = -1
    }

    /** The row to count into; undefined for a malformed or too old month. */
    private row(ext: string, month: string): number[] | undefined {
        const idx = monthIndex(month)
        if (idx === -2 || !ext) return undefined
        if (idx >= 0) {
            if (idx < this.latest - 1) return undefined
            if (idx > this.latest) {
                this.latest = idx
                this.prune(idx - 1, false)
            }
        }
        let months = this.rows[ext]
        if (!months) {
            months = {}
            this.rows[ext] = months
        }
        let r = months[month]
        if (!r) {
            r = zeroRow()
            months[month] = r
        }
        return r
    }

    private add(ext: string, month: string, slot: number, n: number): boolean {
        const r = this.row(ext, month)
        if (!r) return false
        r[slot] += n
        return true
    }

    /** A call that was dialled; `seconds` of talk (0 if unanswered). */
    recordCall(
        ext: string,
        month: string,
        category: Category,
        seconds: number
    ): boolean {
        const i = CALL_CATEGORIES.indexOf(category)
        if (i < 0) return false
        const r = this.row(ext, month)
        if (!r) return false
        r[CALLS + i]++
        r[SECONDS + i] +=
            seconds > 0 && seconds <= MAX_CALL_SECONDS ? Math.round(seconds) : 0
        return true
    }

    recordBlocked(ext: string, month: string, code: BlockCode): boolean {
        const i = BLOCKED_CODES.indexOf(code)
        return i >= 0 && this.add(ext, month, BLOCKED + i, 1)
    }

    recordIncoming(
        ext: string,
        month: string,
        outcome: IncomingOutcome
    ): boolean {
        const i = INCOMING_OUTCOMES.indexOf(outcome)
        return i >= 0 && this.add(ext, month, INCOMING + i, 1)
    }

    /** A call that ended at this handset, by the rings its caller heard. */
    recordCaller(ext: string, month: string, outcome: CallerOutcome): boolean {
        const i = CALLER_OUTCOMES.indexOf(outcome)
        return i >= 0 && this.add(ext, month, CALLER + i, 1)
    }

    /** Issue 12: `n` more of RULE_COUNTS' `name` (e.g. "codeWrong"). */
    recordRule(ext: string, month: string, name: string, n: number): boolean {
        const i = RULE_COUNTS.indexOf(name)
        const r = i >= 0 && n > 0 ? this.fullRow(ext, month) : undefined
        if (r) r[RULES + i] += Math.round(n)
        return !!r
    }

    /** The row with room for the rules group. */
    private fullRow(ext: string, month: string): number[] | undefined {
        let r = this.row(ext, month)
        if (r && r.length < FULL_LENGTH) {
            r = zeroRow(r)
            this.rows[ext][month] = r
        }
        return r
    }

    /** An incoming call answered at this handset after `rings` rings. */
    recordAnswered(ext: string, month: string, rings: number): boolean {
        return this.recordIncoming(
            ext,
            month,
            rings <= this.onTimeRings ? "onTime" : "late"
        )
    }

    /** Named counts of one handset and month (all zero if nothing recorded). */
    snapshot(ext: string, month: string): MonthCounters {
        const months = this.rows[ext]
        let row = months ? months[month] : undefined
        if (!row) row = zeroRow()
        return {
            extension: ext,
            month,
            calls: named(row, CALLS, CALL_CATEGORIES),
            seconds: named(row, SECONDS, CALL_CATEGORIES),
            blocked: named(row, BLOCKED, BLOCKED_CODES),
            incoming: named(row, INCOMING, INCOMING_OUTCOMES),
            caller: named(row, CALLER, CALLER_OUTCOMES),
            rules: named(row, RULES, RULE_COUNTS),
            totalCalls: sum(row, CALLS, 8),
            totalSeconds: sum(row, SECONDS, 8),
            totalBlocked: sum(row, BLOCKED, 6),
            totalIncoming: sum(row, INCOMING, 4),
            totalCaller: sum(row, CALLER, 3),
        }
    }

    /** Months held for a handset, oldest first ("unknown" first). */
    months(ext: string): string[] {
        const months = this.rows[ext]
        if (!months) return []
        return Object.keys(months).sort((a, b) => monthIndex(a) - monthIndex(b))
    }

    /** Handsets with anything recorded, in first-recorded order. */
    extensions(): string[] {
        return Object.keys(this.rows)
    }

    /** Drops every month before `month` ("unknown" included), e.g. once published. */
    dropBefore(month: string) {
        const idx = monthIndex(month)
        if (idx >= 0) this.prune(idx, true)
    }

    /**
     * Keeps months ≥ index; "unknown" too unless `dropUnknown`. Rebuilds the
     * objects rather than `delete` (not in the DeviceScript subset).
     */
    private prune(index: number, dropUnknown: boolean) {
        const kept: Record<string, Record<string, number[]>> = {}
        for (const ext of Object.keys(this.rows)) {
            const months = this.rows[ext]
            let keep: Record<string, number[]> | undefined = undefined
            for (const m of Object.keys(months)) {
                const i = monthIndex(m)
                if (i >= index || (i === -1 && !dropUnknown)) {
                    if (!keep) keep = {}
                    keep[m] = months[m]
                }
            }
            if (keep) kept[ext] = keep
        }
        this.rows = kept
    }

    /**
     * Call it explicitly, JSON.stringify(c.toJSON()): the VM's JSON.stringify
     * ignores toJSON methods and would write the private fields instead.
     */
    toJSON(): CountersJSON {
        return { v: 1, rows: this.rows }
    }

    /** Rebuilds counters from toJSON() output; malformed parts are skipped. */
    static fromJSON(data: any, onTimeRings?: number): CallCounters {
        const c = new CallCounters(onTimeRings)
        if (
            !data ||
            data.v !== 1 ||
            !data.rows ||
            typeof data.rows !== "object"
        )
            return c
        const exts = Object.keys(data.rows).filter(
            ext => data.rows[ext] && typeof data.rows[ext] === "object"
        )
        // the newest month first, so that the window drops too old ones
        for (const ext of exts)
            for (const m of Object.keys(data.rows[ext]))
                if (monthIndex(m) > c.latest) c.latest = monthIndex(m)
        for (const ext of exts) {
            const months = data.rows[ext]
            for (const m of Object.keys(months)) {
                const src = months[m]
                if (!Array.isArray(src)) continue
                const r =
                    src.length > ROW_LENGTH ? c.fullRow(ext, m) : c.row(ext, m)
                if (!r) continue
                for (let i = 0; i < r.length && i < src.length; ++i) {
                    const n = src[i]
                    r[i] += typeof n === "number" && n > 0 ? n : 0
                }
            }
        }
        return c
    }
}
