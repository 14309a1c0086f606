// Expectations: each waits (event-driven, up to a timeout) for a condition
// on the record or the firmware's counters, and says what it saw when the
// condition does not hold.

import { Recorder, SimEvent } from "../src/board/record"
import type { SimSession } from "./session"
import type { SimSite } from "./site"
import type { Expectation } from "./scenario"

/** One board, or a site (expectations then address any of its boards). */
export type Checked = SimSession | SimSite

/** The boards an expectation reads: the one named, the one serving `ext`, or all. */
function boardsOf(s: Checked, board?: string, ext?: string): SimSession[] {
    if (!("sessions" in s)) return [s]
    if (board !== undefined) return [s.session(board)]
    const serving = ext !== undefined ? s.sessionOf(ext) : undefined
    return serving ? [serving] : s.sessions
}

export interface Check {
    ok: boolean
    /** What held, or expected vs what the record shows. */
    message: string
}

/** Where in the record each expectation looks (ms since the session start). */
export interface Marks {
    /** Per extension: the last offHook / dial / answer step of that port. */
    attempt: Record<string, number>
    /** The last incoming-call step. */
    call: number
    /** The last restart or brokerLink step (expectConsole looks since then). */
    fault?: number
}

const secs = (ms: number) => (ms / 1000).toFixed(1) + " s"

function list(events: SimEvent[], field: string): string {
    return events.map(e => `${e[field]} at ${secs(e.t)}`).join(", ")
}

/** What a port did since `since`: its dials, tones and the admin log lines naming it. */
function portStory(rec: Recorder, ext: string, since: number): string {
    const dials = rec.select("dial", ext, since)
    const tones = rec.select("tone", ext, since).map(e => e.tone)
    const logs = rec
        .select("log", undefined, since)
        .filter(e => String(e.line).includes(ext))
        .map(e => JSON.stringify(e.line))
    const parts = [
        dials.length ? `dialled ${list(dials, "number")}` : "dialled nothing",
        `tones: ${tones.length ? tones.join(", ") : "none"}`,
    ]
    if (logs.length) parts.push(`log: ${logs.slice(-3).join(" / ")}`)
    return parts.join("; ")
}

/** What became of the calls `ext` redirected since `since` ("" if none). */
function forwardStory(rec: Recorder, ext: string, since: number): string {
    const parts = rec.select("redirect", ext, since).map(r => {
        const went = rec
            .select("forwarded", undefined, r.t)
            .find(e => e.from === ext)
        const failed = rec
            .select("redirectFailed", undefined, r.t)
            .find(e => e.from === ext)
        const outcome = went
            ? `the call went to ${went.to}${went.skipped ? ` (skipped ${went.skipped})` : ""}`
            : failed
              ? `none could ring (${failed.why}): the caller got busy`
              : "nothing happened"
        return `it offered ${JSON.stringify(r.targets)} at ${secs(r.t)}: ${outcome}`
    })
    return parts.join("; ")
}

/** Ring-on events at `ext` after its last incoming call before time `before`. */
export function ringsAt(
    rec: Recorder,
    ext: string,
    since: number,
    before = Infinity
): number | undefined {
    const incoming = rec
        .select("incoming", ext, since)
        .filter(e => e.t <= before)
    const last = incoming[incoming.length - 1]
    if (!last) return undefined
    return rec.select("ring", ext, last.t).filter(e => e.on && e.t <= before)
        .length
}

function counterOk(
    v: number,
    e: { equals?: number; atLeast?: number; atMost?: number }
) {
    if (e.equals !== undefined && v !== e.equals) return false
    if (e.atLeast !== undefined && v < e.atLeast) return false
    if (e.atMost !== undefined && v > e.atMost) return false
    return true
}

function counterWant(e: {
    equals?: number
    atLeast?: number
    atMost?: number
}) {
    const w: string[] = []
    if (e.equals !== undefined) w.push(`= ${e.equals}`)
    if (e.atLeast !== undefined) w.push(`≥ ${e.atLeast}`)
    if (e.atMost !== undefined) w.push(`≤ ${e.atMost}`)
    return w.join(" and ")
}

export async function check(
    s: Checked,
    exp: Expectation,
    marks: Marks,
    defaultTimeoutMs: number
): Promise<Check> {
    const rec = s.rec
    const timeout = ("timeoutMs" in exp && exp.timeoutMs) || defaultTimeoutMs
    const pass = (message: string): Check => ({ ok: true, message })
    const fail = (message: string): Check => ({ ok: false, message })

    if ("expectDialled" in exp) {
        const { port, number } = exp.expectDialled
        const since = marks.attempt[port] ?? 0
        const hit = await rec.until(
            () =>
                rec.select("dial", port, since).find(e => e.number === number),
            timeout
        )
        if (hit) return pass(`${port} dialled ${number} at ${secs(hit.t)}`)
        return fail(
            `${port} should have dialled ${number} within ${secs(timeout)}; ${portStory(rec, port, since)}`
        )
    }

    if ("expectNotDialled" in exp) {
        const { port, number, forMs = 2000 } = exp.expectNotDialled
        const since = marks.attempt[port] ?? 0
        const what = number ?? "anything"
        const hit = await rec.until(
            () =>
                rec
                    .select("dial", port, since)
                    .find(e => number === undefined || e.number === number),
            forMs
        )
        if (!hit)
            return pass(`${port} did not dial ${what} (watched ${secs(forMs)})`)
        return fail(
            `${port} should not have dialled ${what}, but dialled ${hit.number} at ${secs(hit.t)}`
        )
    }

    if ("expectRefused" in exp) {
        const { port, code } = exp.expectRefused
        const since = marks.attempt[port] ?? 0
        const wordRe = code
            ? new RegExp(`(^|[^A-Za-z])${code}([^A-Za-z]|$)`)
            : undefined
        const logLine = () =>
            rec.select("log", undefined, since).find(e => {
                const l = String(e.line)
                return (
                    l.includes(port) &&
                    /refus/i.test(l) &&
                    (!wordRe || wordRe.test(l))
                )
            })
        const result = await rec.until(() => {
            if (rec.select("dial", port, since).length) return "dialled"
            const tone = rec
                .select("tone", port, since)
                .some(e => e.tone === "Unobtainable")
            if (tone && (!code || logLine())) return "refused"
            return undefined
        }, timeout)
        const what = code
            ? `refused with code ${code}`
            : "refused (Unobtainable tone)"
        if (result === "refused") {
            const line = logLine()
            return pass(
                `${port} ${what}${line ? `: ${JSON.stringify(line.line)}` : ""}`
            )
        }
        return fail(
            `${port} should have been ${what}; ${portStory(rec, port, since)}`
        )
    }

    if ("expectTone" in exp) {
        // The tone playing now (the last one ordered), not any tone so far.
        const { port, tone } = exp.expectTone
        const since = marks.attempt[port] ?? 0
        const current = () => rec.select("tone", port, since).pop()
        const hit = await rec.until(() => {
            const t = current()
            return t && t.tone === tone ? t : undefined
        }, timeout)
        if (hit) return pass(`${port} plays ${tone} (since ${secs(hit.t)})`)
        const t = current()
        const now = t
            ? `it plays ${t.tone} (since ${secs(t.t)})`
            : "it played no tone"
        return fail(
            `${port} should be playing the ${tone} tone; ${now}; ${portStory(rec, port, since)}`
        )
    }

    if ("expectForwarded" in exp) {
        const { from, to, afterRings, divertedFrom } = exp.expectForwarded
        const since = marks.call
        const hit = await rec.until(
            () =>
                rec
                    .select("forwarded", undefined, since)
                    .find(e => e.from === from && e.to === to),
            timeout
        )
        if (!hit) {
            const rings = ringsAt(rec, from, since) ?? 0
            const answered = rec.select("answer", from, since).length
            return fail(
                `${from} should have forwarded the call to ${to}; ${forwardStory(rec, from, since) || `no redirect (it rang ${rings} time(s)${answered ? ", was answered" : ""})`}`
            )
        }
        const rings = ringsAt(rec, from, since, hit.t) ?? 0
        if (afterRings !== undefined && rings !== afterRings)
            return fail(
                `${from} forwarded to ${to} at ${secs(hit.t)} after ${rings} ring(s), expected after ${afterRings}`
            )
        const arrived = await rec.until(
            () => rec.select("incoming", to, hit.t).find(e => e.divertedFrom),
            2000
        )
        if (
            divertedFrom !== undefined &&
            arrived?.divertedFrom !== divertedFrom
        )
            return fail(
                `${from} forwarded to ${to}, which got diverted_from ${arrived ? JSON.stringify(arrived.divertedFrom) : "nothing (no call arrived)"}, expected ${divertedFrom}`
            )
        const where = arrived
            ? `, ringing at ${to} (diverted from ${arrived.divertedFrom}, ${arrived.diversions} diversion(s))`
            : ""
        const skipped = hit.skipped ? `; skipped ${hit.skipped}` : ""
        return pass(
            `${from} forwarded to ${to} after ${rings} ring(s) at ${secs(hit.t)}${where}${skipped}`
        )
    }

    if ("expectNotForwarded" in exp) {
        const { port, forMs } = exp.expectNotForwarded
        // the call ringing there now: the last one that arrived
        const call = rec.select("incoming", port, marks.call).pop()
        if (!call)
            return fail(`no call arrived at ${port}, so none stayed there`)
        // redirected, or given up by the port itself (hang_up while ringing)
        const hit = await rec.until(
            () =>
                rec
                    .select("redirect", port, call.t)
                    .concat(rec.select("hangUp", port, call.t))[0],
            forMs
        )
        const rings = (t?: number) => ringsAt(rec, port, marks.call, t)
        if (hit)
            return fail(
                `${port} should have kept the call that arrived at ${secs(call.t)}, but ${hit.kind === "redirect" ? `redirected it to ${hit.targets}` : "hung it up"} at ${secs(hit.t)} after ${rings(hit.t)} ring(s)`
            )
        const ended = rec
            .select("callEnded", undefined, call.t)
            .find(e => e.call === call.call)
        return pass(
            `${port} kept the call (watched ${secs(forMs)}, it rang ${rings()} time(s)${ended ? `; the call ended: ${ended.why}` : ""})`
        )
    }

    if ("expectAnswered" in exp) {
        const { port } = exp.expectAnswered
        const since = Math.min(marks.call, marks.attempt[port] ?? marks.call)
        const hit = await rec.until(
            () => rec.select("answer", port, since)[0],
            timeout
        )
        if (hit) return pass(`${port} answered at ${secs(hit.t)}`)
        const rings = ringsAt(rec, port, since)
        return fail(
            `${port} should have answered; ${rings === undefined ? "no call arrived" : `it rang ${rings} time(s)`}`
        )
    }

    if ("expectCounter" in exp) {
        const e = exp.expectCounter
        let last: number | undefined
        const board = boardsOf(s, e.board, e.name.split(".")[0])[0]
        const on =
            "sessions" in s && s.sessions.length > 1 ? ` on ${board.board}` : ""
        const ok = await rec.until(
            async () => {
                last = await board.admin.counter(e.name)
                return counterOk(last, e) ? true : undefined
            },
            timeout,
            300
        )
        if (ok) return pass(`counter ${e.name}${on} = ${last}`)
        return fail(
            `counter ${e.name}${on} is ${last}, expected ${counterWant(e)}`
        )
    }

    if ("expectLog" in exp) {
        const { contains, board } = exp.expectLog
        const lines = () =>
            rec
                .select("log")
                .filter(e => board === undefined || e.board === board)
        const hit = await rec.until(
            () => lines().find(e => String(e.line).includes(contains)),
            timeout
        )
        if (hit)
            return pass(`log at ${secs(hit.t)}: ${JSON.stringify(hit.line)}`)
        const last = lines()
            .slice(-5)
            .map(e => JSON.stringify(e.line))
        return fail(
            `no admin log line${board ? ` of ${board}` : ""} contains ${JSON.stringify(contains)}; last lines: ${last.join(" / ") || "none"}`
        )
    }

    if ("expectPolicyVersion" in exp) {
        const want = exp.expectPolicyVersion
        const boards = boardsOf(s, exp.board)
        let last: string[] = []
        const ok = await rec.until(
            async () => {
                const v = await Promise.all(
                    boards.map(b => b.admin.policyVersion())
                )
                last = boards.flatMap((b, i) =>
                    v[i] === want ? [] : [`${b.board}: ${v[i]}`]
                )
                return last.length ? undefined : true
            },
            timeout,
            300
        )
        const on = boards.length > 1 ? ` on all ${boards.length} boards` : ""
        if (ok) return pass(`policy version ${want}${on}`)
        if (boards.length === 1)
            return fail(
                `policy version is ${last[0]?.split(": ")[1]}, expected ${want}`
            )
        return fail(`policy version is not ${want}${on}: ${last.join(", ")}`)
    }

    if ("expectConsole" in exp) {
        const { contains, board } = exp.expectConsole
        const since = marks.fault ?? 0
        const lines = () =>
            rec
                .select("vm", undefined, since)
                .filter(e => board === undefined || e.board === board)
        const hit = await rec.until(
            () => lines().find(e => String(e.line).includes(contains)),
            timeout
        )
        const of = board ? ` of ${board}` : ""
        if (hit)
            return pass(
                `console${of} at ${secs(hit.t)}: ${JSON.stringify(hit.line)}`
            )
        return fail(
            `no console line${of} since ${secs(since)} contains ${JSON.stringify(contains)}`
        )
    }

    return fail(`unknown expectation ${JSON.stringify(exp)}`)
}
