// Option values shared by the fleet commands: durations, site ids, months.

import { Parsed, shownPositional, UsageError } from "../command"
import { isMonth, isSiteId, UNKNOWN_MONTH } from "./topics"

/** "30s", "2m", "1500ms", "45" (seconds) → milliseconds. */
export function parseDuration(text: string, option: string): number {
    const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|min)?$/.exec(text.trim())
    const n = m ? Number(m[1]) : NaN
    const unit = m?.[2] ?? "s"
    const ms = unit === "ms" ? n : unit === "s" ? n * 1000 : n * 60000
    if (!(ms > 0) || ms > 24 * 3600 * 1000)
        throw new UsageError(
            `bad ${option} ${JSON.stringify(text)} (expected a duration such as 30s, 2m or 1500ms)`
        )
    return Math.round(ms)
}

/** --site, checked; undefined when absent. */
export function siteOption(p: Parsed): string | undefined {
    const v = p.values["site"]
    if (v === undefined) return undefined
    if (typeof v !== "string" || !isSiteId(v))
        throw new UsageError(
            `bad --site ${JSON.stringify(v)} (a site id is 1-64 characters a-z 0-9 -)`
        )
    return v
}

/** --month YYYY-MM (or "unknown"), checked. */
export function monthOption(p: Parsed): string {
    const v = p.values["month"]
    if (typeof v !== "string")
        throw new UsageError("missing --month YYYY-MM (e.g. --month 2026-11)")
    if (v !== UNKNOWN_MONTH && !isMonth(v))
        throw new UsageError(
            `bad --month ${JSON.stringify(v)} (expected YYYY-MM such as 2026-11, or "unknown")`
        )
    return v
}

/** Exactly one positional argument, named `what` in errors. */
export function onePositional(p: Parsed, what: string): string {
    if (p.positionals.length === 0) throw new UsageError(`missing ${what}`)
    if (p.positionals.length > 1)
        throw new UsageError(
            `unexpected argument ${shownPositional(p, 1)} (give one ${what.split(" ")[0]})`
        )
    return p.positionals[0]
}

/** No positional arguments. */
export function noPositionals(p: Parsed) {
    if (p.positionals.length)
        throw new UsageError(`unexpected argument ${shownPositional(p, 0)}`)
}
