// The month's bill (issue 11; rules (二)3.7 bill per phone, 3.7.2 and (一)5
// private and premium charges to the responsible person, the department
// sharing when nobody owns the phone): every call record priced with the
// policy's tariffs (src/fleet/pricing.ts), summed per handset, per owner
// (责任人) and per department. Money in whole 分 throughout.

import { BLOCKED_CODES, CALL_CATEGORIES } from "../../devs/phone/counters"
import { Policy } from "../../devs/policy/types"
import {
    DEFAULT_PREMIUM_FINE,
    TARIFF_CATEGORIES,
} from "../../devs/policy/validate"
import { billedMinutes, price, shares } from "./pricing"
import { CallRecord, HandsetCounters, outcomeOf } from "./topics"

export interface Amount {
    calls: number
    /** Whole billed minutes (every started minute of an answered call). */
    minutes: number
    /** 分; undefined when the category has no tariff. */
    fen?: number
}

export interface HandsetBill {
    extension: string
    name: string
    department: string
    /** The owner(s), or the department head when it has none ([] neither). */
    responsible: string[]
    /** True when `responsible` is the head (the handset has no owner). */
    byHead: boolean
    byCategory: Record<string, Amount>
    /** The priced categories summed (fen) and every category's calls and minutes. */
    total: Required<Amount>
    premiumAttempts: number
    /** premiumAttempts × the fine, 分. */
    fines: number
}

export interface PersonBill {
    name: string
    handsets: string[]
    /**
     * By category: the calls and billed minutes of their handsets, and their
     * share of the charges (分; undefined without a tariff), the shares of
     * the categories adding up to `fen`.
     */
    byCategory: Record<string, Amount>
    /** Their share of the call charges of their handsets, 分. */
    calls: number
    minutes: number
    fen: number
    /** Premium fines charged to them, 分. */
    fines: number
    total: number
}

export interface DepartmentBill {
    id: string
    name: string
    head: string
    handsets: number
    calls: number
    minutes: number
    fen: number
    /** Fines of its handsets without an owner: the department shares them. */
    sharedFines: number
    /** Every fine of its handsets. */
    fines: number
    total: number
}

export interface PricedCall extends CallRecord {
    fen?: number
    minutes: number
}

export interface PremiumAttempt {
    record: CallRecord
    fine: number
    /** Owners charged (each their share), or "" with `department` sharing. */
    chargedTo: string[]
    department: string
}

export interface CounterMismatch {
    extension: string
    what: string
    records: number
    counters: number
}

export interface Bill {
    tariffs: string[]
    /** Chargeable categories with calls this month but no tariff. */
    unpriced: string[]
    premiumFine: number
    handsets: HandsetBill[]
    people: PersonBill[]
    departments: DepartmentBill[]
    premium: PremiumAttempt[]
    register: PricedCall[]
    missed: CallRecord[]
    total: { calls: number; minutes: number; fen: number; fines: number }
    /** Where a handset's records and its counters do not agree. */
    mismatches: CounterMismatch[]
}

const isOut = (r: CallRecord) => r.dir !== "in"

export function priceRecord(r: CallRecord, policy: Policy): PricedCall {
    const answered = outcomeOf(r) === "answered" && isOut(r)
    const t = policy.tariffs?.[r.category]
    return {
        ...r,
        minutes: billedMinutes(r.seconds, answered),
        fen: t ? price(t, r.number, r.seconds, answered) : undefined,
    }
}

export function buildBill(
    policy: Policy,
    records: CallRecord[],
    counters: Map<string, HandsetCounters>
): Bill {
    const fine = policy.premiumFine ?? DEFAULT_PREMIUM_FINE
    const tariffs = Object.keys(policy.tariffs ?? {})
    const depts = new Map(policy.departments.map(d => [d.id, d]))
    const known = new Map(policy.handsets.map(h => [h.extension, h]))
    const exts = policy.handsets.map(h => h.extension)
    for (const r of records) if (!exts.includes(r.handset)) exts.push(r.handset)

    const bills = new Map<string, HandsetBill>()
    for (const ext of exts) {
        const h = known.get(ext)
        const head = h ? (depts.get(h.department)?.head ?? "") : ""
        const owners = h?.owner ?? []
        bills.set(ext, {
            extension: ext,
            name: h?.name ?? "",
            department: h?.department ?? "",
            responsible: owners.length ? owners : head ? [head] : [],
            byHead: owners.length === 0 && head !== "",
            byCategory: {},
            total: { calls: 0, minutes: 0, fen: 0 },
            premiumAttempts: 0,
            fines: 0,
        })
    }
    const unpriced = new Set<string>()
    const register: PricedCall[] = []
    const missed: CallRecord[] = []
    const premium: PremiumAttempt[] = []
    for (const r of records) {
        const b = bills.get(r.handset)!
        const outcome = outcomeOf(r)
        if (!isOut(r)) {
            if (outcome === "missed") missed.push(r)
            continue
        }
        if (outcome === "refused") {
            if (r.code === "premium") {
                b.premiumAttempts++
                b.fines += fine
                const owners = known.get(r.handset)?.owner ?? []
                premium.push({
                    record: r,
                    fine,
                    chargedTo: owners,
                    department: b.department,
                })
            }
            continue
        }
        const p = priceRecord(r, policy)
        if (r.category === "domestic" || r.category === "international")
            register.push(p)
        if (outcome !== "answered") continue
        const a = (b.byCategory[r.category] ??= {
            calls: 0,
            minutes: 0,
            fen: p.fen === undefined ? undefined : 0,
        })
        a.calls++
        a.minutes += p.minutes
        b.total.calls++
        b.total.minutes += p.minutes
        if (p.fen !== undefined) {
            a.fen = (a.fen ?? 0) + p.fen
            b.total.fen += p.fen
        } else if (TARIFF_CATEGORIES.includes(r.category))
            unpriced.add(r.category)
    }

    // people: each handset's charges split equally among its responsible
    // ones; fines only among owners (without one, the department shares)
    const people = new Map<string, PersonBill>()
    const person = (name: string) => {
        let p = people.get(name)
        if (!p) {
            p = {
                name,
                handsets: [],
                byCategory: {},
                calls: 0,
                minutes: 0,
                fen: 0,
                fines: 0,
                total: 0,
            }
            people.set(name, p)
        }
        return p
    }
    for (const b of bills.values()) {
        const n = b.responsible.length
        if (!n) continue
        const fen = shares(b.total.fen, n)
        const fines = b.byHead ? [] : shares(b.fines, n)
        // each one's share of a category: what the shares of the charges up
        // to it grew by, so that a person's categories add up to their share
        const cats = Object.keys(b.byCategory)
        b.responsible.forEach((name, i) => {
            const p = person(name)
            if (!p.handsets.includes(b.extension)) p.handsets.push(b.extension)
            let upTo = 0
            for (const c of cats) {
                const a = b.byCategory[c]
                const before = shares(upTo, n)[i]
                upTo += a.fen ?? 0
                const to = (p.byCategory[c] ??= {
                    calls: 0,
                    minutes: 0,
                    fen: a.fen === undefined ? undefined : 0,
                })
                to.calls += a.calls
                to.minutes += a.minutes
                if (a.fen !== undefined)
                    to.fen = (to.fen ?? 0) + shares(upTo, n)[i] - before
            }
            p.calls += b.total.calls
            p.minutes += b.total.minutes
            p.fen += fen[i]
            p.fines += fines[i] ?? 0
        })
    }
    for (const p of people.values()) p.total = p.fen + p.fines

    const departments: DepartmentBill[] = policy.departments.map(d => {
        const members = [...bills.values()].filter(b => b.department === d.id)
        const fen = members.reduce((n, b) => n + b.total.fen, 0)
        const fines = members.reduce((n, b) => n + b.fines, 0)
        return {
            id: d.id,
            name: d.name,
            head: d.head ?? "",
            handsets: members.length,
            calls: members.reduce((n, b) => n + b.total.calls, 0),
            minutes: members.reduce((n, b) => n + b.total.minutes, 0),
            fen,
            sharedFines: members
                .filter(b => !(known.get(b.extension)?.owner ?? []).length)
                .reduce((n, b) => n + b.fines, 0),
            fines,
            total: fen + fines,
        }
    })
    const handsets = [...bills.values()]
    const total = {
        calls: handsets.reduce((n, b) => n + b.total.calls, 0),
        minutes: handsets.reduce((n, b) => n + b.total.minutes, 0),
        fen: handsets.reduce((n, b) => n + b.total.fen, 0),
        fines: handsets.reduce((n, b) => n + b.fines, 0),
    }
    return {
        tariffs,
        unpriced: [...unpriced],
        premiumFine: fine,
        handsets,
        people: [...people.values()],
        departments,
        premium,
        register,
        missed,
        total,
        mismatches: compareWithCounters(records, counters),
    }
}

/**
 * The board's own cross-check: its counters count every call, the records
 * are what reached the collector (a board's flash holds 30 unsent ones).
 */
export function compareWithCounters(
    records: CallRecord[],
    counters: Map<string, HandsetCounters>
): CounterMismatch[] {
    const out: CounterMismatch[] = []
    const exts = new Set([...counters.keys(), ...records.map(r => r.handset)])
    for (const ext of [...exts].sort()) {
        const mine = records.filter(r => r.handset === ext)
        // older firmware sent long-distance records only: compare only
        // handsets whose records are all of the new kind
        if (mine.some(r => !r.outcome)) continue
        const c = counters.get(ext)
        const get = (g: Record<string, number> | undefined, k: string) =>
            g?.[k] ?? 0
        const check = (what: string, recs: number, cnt: number) => {
            if (recs !== cnt)
                out.push({ extension: ext, what, records: recs, counters: cnt })
        }
        for (const cat of CALL_CATEGORIES) {
            const answered = mine.filter(
                r =>
                    isOut(r) &&
                    r.category === cat &&
                    outcomeOf(r) === "answered"
            )
            check(`${cat} calls`, answered.length, get(c?.calls, cat))
            check(
                `${cat} seconds`,
                answered.reduce((n, r) => n + Math.floor(r.seconds), 0),
                get(c?.seconds, cat)
            )
        }
        for (const code of BLOCKED_CODES)
            check(
                `refused ${code}`,
                mine.filter(r => outcomeOf(r) === "refused" && r.code === code)
                    .length,
                get(c?.blocked, code)
            )
        const ended = mine.filter(r => !isOut(r))
        const cc = c?.caller ?? {}
        check(
            "incoming calls ended here",
            ended.length,
            Object.values(cc).reduce((a, b) => a + b, 0)
        )
        check(
            "incoming missed",
            ended.filter(r => outcomeOf(r) === "missed").length,
            get(cc, "missed")
        )
    }
    return out
}
