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

import {
    AuthCode,
    OutsideHours,
    Policy,
    SERVICE_CLASSES,
    ServiceClass,
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
/** Longest call length a policy may set: 24 h. */
const MAX_CALL_SECONDS = 86400
const OUTSIDE: OutsideHours[] = ["code", "refuse", "count"]
/** The categories a call can be placed in (as devs/phone/counters.ts). */
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

type Err = (path: string, reason: string) => void

function isObject(v: any): boolean {
    return typeof v === "object" && v !== null && !Array.isArray(v)
}

function isHex64(s: any): boolean {
    if (typeof s !== "string" || s.length !== 64) return false
    for (let i = 0; i < 64; ++i) {
        const c = s.charCodeAt(i)
        if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false
    }
    return true
}

/** "HH:MM" (00:00-24:00) as minutes since midnight; -1 if malformed. */
export function minutesOf(s: any): number {
    if (typeof s !== "string" || s.length !== 5 || s.charAt(2) !== ":")
        return -1
    for (const i of [0, 1, 3, 4]) {
        const c = s.charCodeAt(i)
        if (c < 48 || c > 57) return -1
    }
    const h = parseInt(s.slice(0, 2))
    const m = parseInt(s.slice(3))
    if (m > 59 || h * 60 + m > 24 * 60) return -1
    return h * 60 + m
}

/** Keys (from `digits`) 0-9 * #, 1-4 long, no # (it ends a code). */
function isPrefix(s: any): boolean {
    if (typeof s !== "string" || s.length < 1 || s.length > 4) return false
    for (let i = 0; i < s.length; ++i) {
        const c = s.charAt(i)
        if (!((c >= "0" && c <= "9") || c === "*")) return false
    }
    return true
}

function checkSeconds(
    err: Err,
    raw: any,
    path: string
): Record<string, number> | undefined {
    if (raw === undefined) return undefined
    if (!isObject(raw)) {
        err(path, 'must map call categories to seconds, e.g. {"domestic": 300}')
        return undefined
    }
    const out: Record<string, number> = {}
    for (const k of Object.keys(raw)) {
        const v = raw[k]
        if (CALL_CATEGORIES.indexOf(k) < 0)
            err(
                path + "." + k,
                "unknown call category (expected one of: " +
                    CALL_CATEGORIES.join(", ") +
                    ")"
            )
        else if (
            typeof v !== "number" ||
            Math.floor(v) !== v ||
            v < 10 ||
            v > MAX_CALL_SECONDS
        )
            err(
                path + "." + k,
                "must be whole seconds from 10 to " + MAX_CALL_SECONDS
            )
        else out[k] = v
    }
    return out
}

function checkHours(err: Err, raw: any): WorkingHours | undefined {
    if (raw === undefined) return undefined
    const p = "site.hours"
    if (!isObject(raw)) {
        err(p, 'must be an object such as {"from": "08:00", "to": "18:00"}')
        return undefined
    }
    for (const k of Object.keys(raw))
        if (["days", "from", "to", "breaks", "outside"].indexOf(k) < 0)
            err(
                p + "." + k,
                "unknown key (expected one of: days, from, to, breaks, outside)"
            )
    let days = [1, 2, 3, 4, 5]
    if (raw.days !== undefined) {
        days = []
        if (!Array.isArray(raw.days) || raw.days.length === 0)
            err(p + ".days", "must list weekdays 1 (Monday) to 7 (Sunday)")
        else
            for (const d of raw.days)
                if (
                    typeof d !== "number" ||
                    !(d >= 1 && d <= 7) ||
                    Math.floor(d) !== d ||
                    days.indexOf(d) >= 0
                )
                    err(
                        p + ".days",
                        "must list distinct weekdays 1 (Monday) to 7 (Sunday), not " +
                            JSON.stringify(d)
                    )
                else days.push(d)
    }
    const from = minutesOf(raw.from)
    const to = minutesOf(raw.to)
    if (from < 0) err(p + ".from", 'required time "HH:MM", e.g. "08:00"')
    if (to < 0) err(p + ".to", 'required time "HH:MM", e.g. "18:00"')
    else if (from >= 0 && to <= from) err(p + ".to", "must be after from")
    const breaks: { from: string; to: string }[] = []
    if (raw.breaks !== undefined) {
        if (!Array.isArray(raw.breaks))
            err(p + ".breaks", 'must be a list of {"from", "to"}')
        else
            raw.breaks.forEach((b: any, i: number) => {
                const bp = p + ".breaks[" + i + "]"
                const bf = isObject(b) ? minutesOf(b.from) : -1
                const bt = isObject(b) ? minutesOf(b.to) : -1
                if (bf < 0 || bt < 0 || bt <= bf)
                    err(
                        bp,
                        'must be {"from": "HH:MM", "to": "HH:MM"}, to after from'
                    )
                else breaks.push({ from: b.from, to: b.to })
            })
    }
    let outside: OutsideHours = "code"
    if (raw.outside !== undefined) {
        if (OUTSIDE.indexOf(raw.outside) < 0)
            err(p + ".outside", "must be one of: " + OUTSIDE.join(", "))
        else outside = raw.outside
    }
    return { days, from: raw.from, to: raw.to, breaks, outside }
}

/** Checks the site's office-rule keys into `site`. */
export function checkOfficeSite(err: Err, raw: any, site: Site) {
    const hours = checkHours(err, raw.hours)
    if (hours) site.hours = hours
    const warn = checkSeconds(
        err,
        raw.callWarningSeconds,
        "site.callWarningSeconds"
    )
    if (warn) site.callWarningSeconds = warn
    const limit = checkSeconds(
        err,
        raw.callLimitSeconds,
        "site.callLimitSeconds"
    )
    if (limit) site.callLimitSeconds = limit
    if (raw.privatePrefix !== undefined) {
        if (!isPrefix(raw.privatePrefix))
            err(
                "site.privatePrefix",
                'must be 1-4 keys 0-9 or *, e.g. "*9" (a # ends dialling)'
            )
        else site.privatePrefix = raw.privatePrefix
    }
}

/** Checks the policy's `authCodes` into `policy`. */
export function checkAuthCodes(err: Err, raw: any, policy: Policy) {
    if (raw === undefined) return
    if (!Array.isArray(raw)) {
        err(
            "authCodes",
            'must be a list of {"owner", "allow", "hmac"} (dialguard policy code add)'
        )
        return
    }
    if (raw.length > MAX_AUTH_CODES)
        err("authCodes", "at most " + MAX_AUTH_CODES + " codes")
    const codes: AuthCode[] = []
    raw.forEach((c: any, i: number) => {
        const p = "authCodes[" + i + "]"
        if (!isObject(c)) return err(p, "must be an object")
        for (const k of Object.keys(c))
            if (["owner", "allow", "hmac"].indexOf(k) < 0)
                err(
                    p + "." + k,
                    "unknown key (expected one of: owner, allow, hmac)" +
                        (k === "code" ? "; codes are never in clear" : "")
                )
        if (
            typeof c.owner !== "string" ||
            c.owner.length === 0 ||
            c.owner.length > 40
        )
            err(
                p + ".owner",
                "required: who the code belongs to, 1-40 characters"
            )
        if (SERVICE_CLASSES.indexOf(c.allow) < 1)
            err(p + ".allow", "must be one of: local, domestic, international")
        if (!isHex64(c.hmac))
            err(
                p + ".hmac",
                "must be 64 lower-case hex digits: HMAC-SHA256 of the code with the board key (dialguard policy code add)"
            )
        else if (codes.some(o => o.hmac === c.hmac))
            err(p + ".hmac", "duplicate code")
        codes.push({
            owner: c.owner,
            allow: c.allow as ServiceClass,
            hmac: c.hmac,
        })
    })
    policy.authCodes = codes
}

// ---------------------------------------------------------------- time

/** ISO weekday (1 = Monday) and minute of the day, Beijing time, of a Unix time. */
export function beijingWeekMinute(unixSeconds: number): {
    day: number
    minute: number
} {
    const t = Math.floor(unixSeconds) + 8 * 3600
    const days = Math.floor(t / 86400)
    // 1970-01-01 was a Thursday (4)
    const day = ((((days + 3) % 7) + 7) % 7) + 1
    return { day, minute: Math.floor((t - days * 86400) / 60) }
}

/** Is `unixSeconds` within the working hours? */
export function withinHours(h: WorkingHours, unixSeconds: number): boolean {
    const w = beijingWeekMinute(unixSeconds)
    if (h.days.indexOf(w.day) < 0) return false
    if (w.minute < minutesOf(h.from) || w.minute >= minutesOf(h.to))
        return false
    for (const b of h.breaks)
        if (w.minute >= minutesOf(b.from) && w.minute < minutesOf(b.to))
            return false
    return true
}
