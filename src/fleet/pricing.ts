// Call prices in 分 from the policy's tariffs (issue 11). Whole numbers
// only: money is never a float here; 元 appear only when printed (yuan()).

import { Tariff } from "../../devs/policy/types"

/** The tariff's unit for `number` (as dialled, without the IP prefix): the longest matching prefix's, else `unit`. */
export function unitFor(t: Tariff, number: string): number {
    let best = -1
    let unit = t.unit
    for (const p of Object.keys(t.prefixes ?? {}))
        if (p.length > best && number.startsWith(p)) {
            best = p.length
            unit = t.prefixes![p]
        }
    return unit
}

/** Billed periods of a call of `seconds`, and its price in 分 (0 when unanswered: seconds 0 with answered false). */
export function price(
    t: Tariff,
    number: string,
    seconds: number,
    answered = seconds > 0
): number {
    if (!answered) return 0
    const s = Math.max(0, Math.floor(seconds))
    const unit = unitFor(t, number)
    if (t.firstSeconds !== undefined)
        return (
            (t.first ?? 0) +
            Math.ceil(Math.max(0, s - t.firstSeconds) / t.unitSeconds) * unit
        )
    return Math.ceil(s / t.unitSeconds) * unit
}

/** Whole minutes billed for a call: every started minute (0 when unanswered). */
export function billedMinutes(seconds: number, answered = seconds > 0): number {
    return answered ? Math.ceil(Math.max(0, Math.floor(seconds)) / 60) : 0
}

/** 分 as 元 with 2 decimals ("12.30", "-0.05"), from integers only. */
export function yuan(fen: number): string {
    const neg = fen < 0
    const a = Math.abs(Math.round(fen))
    const s = Math.floor(a / 100) + "." + String(a % 100).padStart(2, "0")
    return neg ? "-" + s : s
}

/**
 * `fen` split equally among `n` people in whole 分: the first ones pay the
 * 分 left over, so the shares always add up to the whole.
 */
export function shares(fen: number, n: number): number[] {
    const base = Math.floor(fen / n)
    const rest = fen - base * n
    const out: number[] = []
    for (let i = 0; i < n; ++i) out.push(base + (i < rest ? 1 : 0))
    return out
}
