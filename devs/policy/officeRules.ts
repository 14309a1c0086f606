// Issue 12: the office rules beyond the class of service, as policy
// options, all off unless the policy sets them:
//   authCodes                 codes that lift a refused call (rule (一)4, (二)3.2.8)
//   site.hours                working hours (rule (二)5.1.1)
//   site.callWarningSeconds   warning tone past a call length ((二)5.1.1, (一)2)
//   site.callLimitSeconds     hard limit, after a final warning
//   site.privatePrefix        e.g. "*9": a private call ((二)3.2.5, 3.7.2)
// Checked here, apart from validate.ts, and the time-of-day logic the
// firmware and `dialguard decide` share.
// Portable: no @devicescript/* import, the same file runs in the VM and Node.

import { beijingTime } from "../app/clock"
import {
    AuthCode,
    OutsideHours,
    Policy,
    SERVICE_CLASSES,
    Site,
    WorkingHours,
} from "./types"

/** The site keys of this module (validate.ts lists them as known). */
export const OFFICE_SITE_KEYS = [
    "hours",
    "callWarningSeconds",
    "callLimitSeconds",
    "privatePrefix",
]

export const MAX_AUTH_CODES = 64
const OUTSIDE: OutsideHours[] = ["code", "refuse", "count"]

type Err = (path: string, reason: string) => void

// (compact checks with one message each that shows the expected form:
// the firmware's function bytecode is near the VM's 64 KB image limit)

function isObject(v: any): boolean {
    return typeof v === "object" && v !== null && !Array.isArray(v)
}

function isInt(v: any, min: number, max: number): boolean {
    return typeof v === "number" && Math.floor(v) === v && v >= min && v <= max
}

/** Every key of `o` is one of `known`. */
function onlyKeys(o: any, known: string[]): boolean {
    return Object.keys(o).every(k => known.indexOf(k) >= 0)
}

function isHex64(s: any): boolean {
    if (typeof s !== "string" || s.length !== 64) return false
    for (let i = 0; i < 64; ++i)
        if ("0123456789abcdef".indexOf(s.charAt(i)) < 0) return false
    return true
}

/** "HH:MM" (00:00-24:00) as minutes since midnight; -1 if malformed. */
export function minutesOf(s: any): number {
    if (typeof s !== "string" || s.length !== 5 || s.charAt(2) !== ":")
        return -1
    for (let i = 0; i < 5; ++i)
        if (i !== 2 && "0123456789".indexOf(s.charAt(i)) < 0) return -1
    const t = parseInt(s.slice(0, 2)) * 60 + parseInt(s.slice(3))
    return s.charAt(3) > "5" || t > 1440 ? -1 : t
}

/** {from, to}: two "HH:MM", to after from. */
function isSpan(o: any): boolean {
    return (
        isObject(o) &&
        minutesOf(o.from) >= 0 &&
        minutesOf(o.to) > minutesOf(o.from)
    )
}

function checkSeconds(err: Err, raw: any, path: string): boolean {
    if (raw === undefined) return false
    // the categories a call can be placed in (as devs/phone/counters.ts;
    // here, not at module level: the firmware would initialise it too)
    const CALL_CATEGORIES = [
        "internal",
        "emergency",
        "local",
        "mobile",
        "domestic",
        "international",
        "tollfree",
        "service",
    ]
    const ok =
        isObject(raw) &&
        Object.keys(raw).every(
            k => CALL_CATEGORIES.indexOf(k) >= 0 && isInt(raw[k], 10, 86400)
        )
    if (!ok)
        err(
            path,
            'must map call categories to whole seconds from 10 to 86400, e.g. {"domestic": 300} (categories: ' +
                CALL_CATEGORIES.join(", ") +
                ")"
        )
    return ok
}

function checkHours(err: Err, h: any): WorkingHours | undefined {
    if (h === undefined) return undefined
    const ok =
        isSpan(h) &&
        onlyKeys(h, ["days", "from", "to", "breaks", "outside"]) &&
        (h.days === undefined ||
            (Array.isArray(h.days) &&
                h.days.length > 0 &&
                h.days.every(
                    (d: any, i: number) =>
                        isInt(d, 1, 7) && h.days.indexOf(d) === i
                ))) &&
        (h.breaks === undefined ||
            (Array.isArray(h.breaks) && h.breaks.every(isSpan))) &&
        (h.outside === undefined || OUTSIDE.indexOf(h.outside) >= 0)
    if (!ok) {
        err(
            "site.hours",
            'must be {"days": [1-7, Monday = 1; default 1-5], "from": "HH:MM", "to": "HH:MM" (after from), "breaks": [{"from": "12:00", "to": "13:00"}], "outside": "code" (default), "refuse" or "count"}'
        )
        return undefined
    }
    return {
        days: h.days || [1, 2, 3, 4, 5],
        from: h.from,
        to: h.to,
        breaks: h.breaks || [],
        outside: h.outside || "code",
    }
}

/**
 * The host's check of the office rules (validatePolicy's `office`): each
 * rule with a message, into `policy`.
 */
export function checkOfficeRules(err: Err, raw: any, policy: Policy) {
    checkOfficeSite(err, raw.site, policy.site)
    checkAuthCodes(err, raw.authCodes, policy)
}

/**
 * The firmware's: only what keeps the port from failing on a policy the
 * host has checked (and signed); the rules are taken as they are.
 */
export function guardOfficeRules(err: Err, raw: any, policy: Policy) {
    const r = raw.site
    const h = r.hours
    const codes = raw.authCodes
    if (
        (h &&
            (typeof h !== "object" ||
                !Array.isArray(h.days || []) ||
                !Array.isArray(h.breaks || []))) ||
        (codes && !Array.isArray(codes)) ||
        typeof (r.privatePrefix || "") !== "string"
    )
        return err(
            "site",
            "malformed office rules: check the policy with dialguard policy check"
        )
    if (h) {
        // the defaults, into the parsed document itself
        h.days = h.days || [1, 2, 3, 4, 5]
        h.breaks = h.breaks || []
        h.outside = h.outside || "code"
    }
    const site: any = policy.site
    for (const k of OFFICE_SITE_KEYS) if (r[k] !== undefined) site[k] = r[k]
    if (codes) policy.authCodes = codes
}

function checkOfficeSite(err: Err, raw: any, site: Site) {
    const hours = checkHours(err, raw.hours)
    if (hours) site.hours = hours
    const w = "callWarningSeconds"
    const l = "callLimitSeconds"
    if (checkSeconds(err, raw[w], "site." + w)) site.callWarningSeconds = raw[w]
    if (checkSeconds(err, raw[l], "site." + l)) site.callLimitSeconds = raw[l]
    const pp = raw.privatePrefix
    if (pp === undefined) return
    let ok = typeof pp === "string" && pp.length >= 1 && pp.length <= 4
    for (let i = 0; ok && i < pp.length; ++i)
        ok = "0123456789*".indexOf(pp.charAt(i)) >= 0
    if (ok) site.privatePrefix = pp
    else
        err(
            "site.privatePrefix",
            'must be 1-4 keys 0-9 or *, e.g. "*9" (a # ends dialling)'
        )
}

function checkAuthCodes(err: Err, raw: any, policy: Policy) {
    if (raw === undefined) return
    if (!Array.isArray(raw) || raw.length > MAX_AUTH_CODES)
        return err(
            "authCodes",
            "must be a list of at most " +
                MAX_AUTH_CODES +
                " codes (dialguard policy code add)"
        )
    raw.forEach((c: any, i: number) => {
        const ok =
            isObject(c) &&
            onlyKeys(c, ["owner", "allow", "hmac", "sealed"]) &&
            typeof c.owner === "string" &&
            c.owner.length >= 1 &&
            c.owner.length <= 40 &&
            SERVICE_CLASSES.indexOf(c.allow) >= 1 &&
            // the admin's file: sealed under the site key; a board's
            // share: HMAC with the board's key (src/fleet/authCodes.ts)
            (c.hmac === undefined) !== (c.sealed === undefined) &&
            (c.hmac === undefined || isHex64(c.hmac)) &&
            (c.sealed === undefined || typeof c.sealed === "string")
        if (!ok)
            err(
                "authCodes[" + i + "]",
                'must be {"owner": who, 1-40 characters, "allow": "local", "domestic" or "international", "sealed": the code sealed with the site key} (dialguard policy code; a code is never in clear)'
            )
        else if (c.hmac && raw.findIndex((o: any) => o.hmac === c.hmac) < i)
            err("authCodes[" + i + "]", "duplicate code")
    })
    policy.authCodes = raw as AuthCode[]
}

// ---------------------------------------------------------------- time

/** Within the working hours at `unixSeconds`; "unknown" for 0 (the time is not known). */
export function hoursAt(
    h: WorkingHours,
    unixSeconds: number
): "in" | "out" | "unknown" {
    if (!unixSeconds) return "unknown"
    const m = minutesOf(beijingTime(unixSeconds).slice(11, 16))
    // ISO weekday in Beijing: 1970-01-01 was a Thursday (4)
    const day = ((Math.floor((unixSeconds + 8 * 3600) / 86400) + 3) % 7) + 1
    const off = (b: { from: string; to: string }) =>
        m < minutesOf(b.from) || m >= minutesOf(b.to)
    let out = h.days.indexOf(day) < 0 || off(h)
    for (const b of h.breaks) out = out || !off(b)
    return out ? "out" : "in"
}
