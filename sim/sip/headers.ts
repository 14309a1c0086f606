// The SIP headers the SIP Line contract reads and writes beyond RFC 3261:
// P-Asserted-Identity (RFC 3325) and From for the caller, Diversion
// (RFC 5806) and History-Info (RFC 7044, RFC 4458 causes) for the
// forwarding chain. npm `sip` leaves them as raw text (repeated headers
// joined with ","), so the splitting and reading is here.
import sip from "sip"
import type { NameAddr } from "sip"

/** Splits a header value at the commas between entries (not inside <> or ""). */
export function splitEntries(value: string): string[] {
    const out: string[] = []
    let depth = 0
    let quoted = false
    let start = 0
    for (let i = 0; i < value.length; i++) {
        const c = value[i]
        if (c === '"' && value[i - 1] !== "\\") quoted = !quoted
        else if (quoted) continue
        else if (c === "<") depth++
        else if (c === ">") depth--
        else if (c === "," && depth === 0) {
            out.push(value.slice(start, i))
            start = i + 1
        }
    }
    out.push(value.slice(start))
    return out.map(s => s.trim()).filter(s => s !== "")
}

function nameAddr(text: string): NameAddr | undefined {
    try {
        return sip.parseAOR({ s: text, i: 0 })
    } catch {
        return undefined
    }
}

/** The user part of a sip:/sips:/tel: URI ("" if none). */
export function userOf(uri: string): string {
    const tel = /^tel:([^;?]+)/i.exec(uri)
    if (tel) return tel[1]
    const m = /^sips?:([^@;?]+)@/i.exec(uri)
    return m ? decodeURIComponent(m[1]) : ""
}

function headerText(v: unknown): string {
    if (v === undefined || v === null) return ""
    return Array.isArray(v) ? v.join(",") : String(v)
}

/** The calling number: P-Asserted-Identity's user, else From's. */
export function callerOf(headers: Record<string, unknown>): string {
    for (const e of splitEntries(headerText(headers["p-asserted-identity"]))) {
        const a = nameAddr(e)
        const u = a && userOf(a.uri)
        if (u) return u
    }
    const from = headers["from"] as NameAddr | undefined
    return from ? userOf(from.uri) : ""
}

export interface Diverted {
    /** The extension the call was first meant for ("" for a direct call). */
    divertedFrom: string
    /** Times the call was redirected. */
    diversions: number
    /** The extension that redirected it here last ("" for a direct call). */
    redirectedBy: string
}

/**
 * Where a call was first meant to go and how often it was redirected:
 * from Diversion (newest entry first, so the oldest is last; the counters
 * summed), else from History-Info (its first entry; entries with RFC 4458
 * cause=408, no reply, counted).
 */
export function divertedOf(headers: Record<string, unknown>): Diverted {
    const div = splitEntries(headerText(headers["diversion"]))
    if (div.length) {
        let diversions = 0
        for (const e of div) {
            const a = nameAddr(e)
            const counter = Number(a?.params["counter"] ?? 1)
            diversions += Number.isFinite(counter) && counter > 0 ? counter : 1
        }
        const oldest = nameAddr(div[div.length - 1])
        const newest = nameAddr(div[0])
        return {
            divertedFrom: oldest ? userOf(oldest.uri) : "",
            diversions,
            redirectedBy: newest ? userOf(newest.uri) : "",
        }
    }
    const hi = splitEntries(headerText(headers["history-info"]))
    if (hi.length > 1) {
        const first = nameAddr(hi[0])
        const before = nameAddr(hi[hi.length - 2])
        const diversions = hi.filter(e => /cause(=|%3D)408\b/i.test(e)).length
        return {
            divertedFrom: first ? userOf(first.uri) : "",
            diversions: Math.max(diversions, 1),
            redirectedBy: before ? userOf(before.uri) : "",
        }
    }
    return { divertedFrom: "", diversions: 0, redirectedBy: "" }
}

/**
 * The Diversion header of a redirect by `extension` (reason no-answer,
 * counter 1) above the entries the INVITE brought.
 */
export function diversionFor(
    extension: string,
    domain: string,
    headers: Record<string, unknown>
): string {
    const own = `<sip:${extension}@${domain}>;reason=no-answer;counter=1`
    const before = headerText(headers["diversion"])
    return before ? `${own}, ${before}` : own
}
