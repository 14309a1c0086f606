// One handset port: the dial session from off-hook to on-hook, and incoming
// calls from the first ring to answer or forward. Events come in as method
// calls (from the keypad, hook switch and SIP line), orders go out through
// PortOutputs, and what happened goes to a PortRecorder for the counters.
// Time is passed in (ms), timers are deadlines checked by tick(): the same
// code runs in the VM and under vitest with a fake clock.
// Portable: no @devicescript/* import.

import { Decision, decideDigits, DialSession } from "../engine/dialSession"
import { DialPlan } from "../engine/types"
import { Category } from "../numbering/categories"
import { AuthCode, Handset, Site } from "../policy/types"
import { classRank } from "../numbering/categories"
import { CallerOutcome, IncomingOutcome } from "./counters"

/** Call-progress tones; numbers match the Handset service's Tone enum. */
export const TONE_OFF = 0
export const TONE_DIAL = 1
export const TONE_RINGBACK = 2
export const TONE_BUSY = 3
/** 空号音: the number cannot be reached (here: refused by the policy). */
export const TONE_UNOBTAINABLE = 4
/** 催挂音: off the hook too long without dialling. */
export const TONE_WARNING = 6
/** Issue 12: key an authorization code and # (after a refusal). */
export const TONE_PROMPT = 7
/** Issue 12: the call has passed its length (a beep in the earpiece). */
export const TONE_CALL_WARNING = 8

/** Issue 12: how long the prompt tone waits for the first key of a code. */
export const CODE_PROMPT_MS = 5000
/** Five wrong codes lock code entry on the handset for 10 minutes. */
export const CODE_TRIES = 5
export const CODE_LOCK_MS = 10 * 60 * 1000
/** The call-length warning beeps this long; the final one until the call ends. */
export const WARNING_BEEP_MS = 1000
export const FINAL_WARNING_S = 10
/** Longest code keyed (more is a wrong code). */
const MAX_CODE_DIGITS = 12

/**
 * Issue 12 events counted per handset (counters' "rules" group):
 * codeCalls a call lifted by a code, codeWrong a wrong code, codeLockouts
 * code entry locked after CODE_TRIES wrong ones, hoursRefused an external
 * call refused outside working hours, afterHours one placed outside them
 * (counted only, or with a code), hoursUnknown one placed before the board
 * knew the time, warned a call warned for its length, cut one ended at its
 * limit.
 */
export type RuleEvent =
    | "codeCalls"
    | "codeWrong"
    | "codeLockouts"
    | "hoursRefused"
    | "afterHours"
    | "hoursUnknown"
    | "warned"
    | "cut"

/** Rule (一)8: answer within three rings. */
export const ON_TIME_RINGS = 3

export interface PortOutputs {
    tone(tone: number): void
    ring(on: boolean): void
    dial(number: string): void
    answer(): void
    hangUp(): void
    /**
     * Send the ringing call on: `hops` are the extensions to try in order,
     * space-separated; the line rings the first that can ring.
     */
    redirect(hops: string): void
    log(line: string): void
}

export interface PortRecorder {
    /** A connected outgoing call ended after `seconds` of talk. */
    outgoing(
        ext: string,
        category: Category,
        number: string,
        seconds: number,
        decision?: Decision
    ): void
    /** Issue 12: an office-rule event on this handset. */
    rule?(ext: string, what: RuleEvent): void
    blocked(ext: string, decision: Decision): void
    /** The handset's view: how this port dealt with a call that rang here. */
    incoming(ext: string, outcome: IncomingOutcome): void
    /**
     * The caller's view, once per call where it ended: answered within
     * three rings of the caller's first ring (every hop's rings counted),
     * later, or given up by the caller.
     */
    callEnded(ext: string, outcome: CallerOutcome): void
    /** Every call, once, when it is over (the call record, CDR). */
    call?(ext: string, c: PortCall): void
}

/** SIP line FailureReason (services/sipline.md) -> a record's outcome. */
const FAILURES = ["", "busy", "noAnswer", "unreachable", "rejected"]

/**
 * One call as a port saw it. Times are ms (the port's clock), 0 = never.
 * Outgoing: `number` as dialled (no IP or outside-line prefix), `dial` the
 * digits sent ("" when refused). Incoming (dir "in"), recorded where it
 * ended (answered or given up by the caller; a port that forwards it on
 * records nothing): `number` the caller, `forExt` the extension it was
 * for when forwarded here, `rings` the caller heard from the first ring
 * (every hop's), `hops` forwards before it came here.
 */
/**
 * A call as the port saw it, times in ms of the port's clock (0 = never);
 * the board turns the times into Unix seconds in place and the sync
 * completes it into the call record (devs/sync/recordQueue.ts CallRecord).
 */
export interface PortCall {
    /** false: incoming */
    out: boolean
    number: string
    dial: string
    category: string
    start: number
    answered: number
    end: number
    seconds: number
    /** answered, busy, noAnswer, unreachable, rejected, refused, missed */
    outcome: string
    /** refused: the block code */
    code: string
    forExt: string
    rings: number
    hops: number
    /** Issue 12: the owner of the authorization code that lifted it. */
    owner?: string
    /** Issue 12: dialled after the private-call prefix. */
    private?: boolean
}

/** Ringing cadence: the bell rings `onMs` of every `cycleMs`; one cycle is one ring. */
export interface RingCadence {
    onMs: number
    cycleMs: number
}

export const CHINA_RING: RingCadence = { onMs: 1000, cycleMs: 5000 }

export interface PortPolicy {
    plan: DialPlan
    handset: Handset
    ringsBeforeForward: number
    /** Extensions an unanswered call to `ext` goes to, nearest first. */
    forwardChain: (ext: string) => string[]
    /** Issue 12: the site's office-rule options (hours, call length, private prefix). */
    site?: Site
    /** The code keyed, if it is a valid authorization code; unset: no code entry. */
    checkCode?: (code: string) => AuthCode | undefined
    /** Within site.hours at `now` (ms): "in", "out", or "unknown" before the board knows the time. */
    hoursAt?: (now: number) => "in" | "out" | "unknown"
}

export type PortState =
    | "idle"
    | "dialling"
    | "calling"
    | "connected"
    | "ringing"
    | "talking"
    /** Off the hook after a refusal, a failed or ended call: a tone plays until on-hook. */
    | "waitOnHook"
    /** Issue 12: after a refusal, the prompt tone: keying an authorization code and #. */
    | "code"

export class HandsetPort {
    state: PortState = "idle"
    readonly extension: string
    private out: PortOutputs
    private rec: PortRecorder
    private cadence: RingCadence
    private policy: PortPolicy | undefined = undefined
    /** The dial session while dialling, else undefined. */
    private session: DialSession | undefined = undefined
    /** The dialling timer (dialling) or when ringing started (ringing). */
    private deadline = 0
    private ringStart = 0
    private ringOn = false
    /** Where the ringing call goes if unanswered: extensions, space-separated ("" = it stays). */
    private forwardTo = ""
    /** The ringing call's ringsBeforeForward, fixed when it arrived. */
    private forwardAfter = 0
    /** Rings the caller heard at earlier hops before the call arrived here. */
    private earlierRings = 0
    /** The call placed or answered: decision and when it was connected. */
    private decision: Decision | undefined = undefined
    private placedAt = 0
    private connectedAt = 0
    /** Issue 12: ms per second of the call-length timers (1000; shorter in tests). */
    private secondMs: number
    /** The number's keys of the call decided last (the one waiting for a code). */
    private refusedDigits = ""
    private refused: Decision | undefined = undefined
    private code = ""
    private wrongCodes = 0
    private codeLockedUntil = 0
    /** Connected call: the call-length stage reached (lengthTick), when the beep ends. */
    private lengthStage = 0
    private toneOffAt = 0
    /** The incoming call ringing or being talked on (undefined when none). */
    private inCall: PortCall | undefined = undefined

    constructor(
        extension: string,
        out: PortOutputs,
        rec: PortRecorder,
        cadence: RingCadence,
        secondMs?: number
    ) {
        this.extension = extension
        this.out = out
        this.rec = rec
        this.cadence = cadence
        this.secondMs = secondMs || 1000
    }

    /**
     * A new policy applies from the next call; a call in progress keeps its
     * decision. `undefined` while the board compiles a new one: a handset
     * lifted then gets the busy tone.
     */
    setPolicy(policy: PortPolicy | undefined) {
        this.policy = policy
        // A finished session would keep the old plan in the heap.
        if (this.state !== "dialling") this.session = undefined
    }

    offHook(now: number) {
        if (this.state === "ringing") return this.answerIncoming(now)
        if (this.state !== "idle") return
        if (!this.policy) {
            this.state = "waitOnHook"
            this.out.tone(TONE_BUSY)
            return
        }
        // A session per call: a policy arriving mid-dial waits for the next one.
        const site = this.policy.site
        const session = new DialSession(
            this.policy.plan,
            this.policy.handset,
            site ? site.privatePrefix : undefined
        )
        this.session = session
        this.state = "dialling"
        this.deadline = now + session.start().ms
        this.out.tone(TONE_DIAL)
    }

    onHook(now: number) {
        const s = this.state
        if (s === "idle" || s === "ringing") return
        if (s === "calling" || s === "connected" || s === "talking")
            this.out.hangUp()
        if (s === "calling" || s === "connected") this.endCall(now)
        if (s === "talking") this.endIncoming(now, 0)
        this.session = undefined
        this.code = ""
        this.state = "idle"
        this.out.tone(TONE_OFF)
    }

    key(k: string, now: number) {
        if (this.state === "code") return this.codeKey(k, now)
        // Keys during a call are not a new call (DTMF is the line's business).
        const session = this.session
        if (this.state !== "dialling" || !session) return
        if (session.keyCount() === 0) this.out.tone(TONE_OFF)
        const step = session.press(k)
        if (step.decision) this.act(step.decision, now)
        else this.deadline = now + (step.ms ?? 0)
    }

    tick(now: number) {
        const session = this.session
        if (this.state === "dialling" && session && now >= this.deadline) {
            if (session.keyCount() === 0) {
                // Lifted and never dialled: warn, don't count it as an attempt.
                this.out.log(this.extension + " off hook without dialling")
                this.session = undefined
                this.state = "waitOnHook"
                this.out.tone(TONE_WARNING)
            } else this.act(session.expire(), now)
        } else if (this.state === "ringing") this.ringTick(now)
        else if (this.state === "code" && now >= this.deadline)
            this.codeKey("", now)
        else if (this.state === "connected") this.lengthTick(now)
    }

    /** The firmware decided: send the number to the line or refuse it. */
    private act(d: Decision, now: number) {
        const digits = this.session ? this.session.digits() : ""
        // Done with it: a finished session holds its matcher (~0.7 KB of
        // the 64 KB heap) and the plan until the next call.
        this.session = undefined
        this.refusedDigits = digits
        // issue 12: site.hours on external calls (not internal, emergency)
        const p = this.policy as PortPolicy
        const h = p.site ? p.site.hours : undefined
        const c = d.category
        const at =
            h && p.hoursAt && c !== "internal" && c !== "emergency"
                ? p.hoursAt(now)
                : "in"
        const outside = h ? h.outside : ""
        if (d.action === "dial" && at !== "in") {
            // before the SIP line has told the time: allowed, counted
            if (at === "unknown") this.count("hoursUnknown")
            else if (outside === "count") this.count("afterHours")
            else {
                d.action = "block"
                d.code = "hours"
                d.reason = c + " call outside working hours"
            }
        }
        // a refusal a code can lift: the prompt tone, keys are a code
        if (
            p.checkCode &&
            now >= this.codeLockedUntil &&
            (d.code === "class" || (d.code === "hours" && outside === "code"))
        ) {
            this.out.log(this.extension + " " + d.reason + ": code prompt")
            this.refused = d
            this.code = ""
            this.state = "code"
            this.deadline = now + CODE_PROMPT_MS
            this.out.tone(TONE_PROMPT)
            return
        }
        this.place(d, now)
    }

    private count(what: RuleEvent) {
        if (this.rec.rule) this.rec.rule(this.extension, what)
    }

    /**
     * A key of the code; "" when the prompt timer ran out. At # (or too
     * many keys) the code is checked: the call goes out or is refused.
     */
    private codeKey(k: string, now: number) {
        if (!this.code) this.out.tone(TONE_OFF)
        this.deadline = now + CODE_PROMPT_MS
        if (k && k !== "#" && this.code.length < MAX_CODE_DIGITS) {
            this.code += k
            return
        }
        const p = this.policy
        const ext = this.extension
        const code = this.code
        let d = this.refused as Decision
        this.code = ""
        this.refused = undefined
        const valid = p && code && p.checkCode ? p.checkCode(code) : undefined
        if (p && valid) {
            this.wrongCodes = 0
            // the code's class for this call only (never lower than the
            // handset's); decided synchronously, nothing else sees it
            const h = p.handset
            const own = h.allow
            if (classRank(valid.allow) > classRank(own)) h.allow = valid.allow
            const lifted = decideDigits(p.plan, h, this.refusedDigits)
            h.allow = own
            if (lifted.action === "dial") {
                lifted.private = d.private
                lifted.codeOwner = valid.owner
                lifted.reason += ", code of " + valid.owner
                this.count("codeCalls")
                if (d.code === "hours") this.count("afterHours")
                d = lifted
            }
        } else if (code) {
            this.count("codeWrong")
            this.out.log(ext + " wrong code")
            if (++this.wrongCodes >= CODE_TRIES) {
                this.wrongCodes = 0
                this.codeLockedUntil = now + CODE_LOCK_MS
                this.count("codeLockouts")
                this.out.log(ext + " code entry locked for 10 minutes")
            }
        }
        this.place(d, now)
    }

    /** Dial `d` or refuse it. */
    private place(d: Decision, now: number) {
        const ext = this.extension
        if (d.action === "dial") {
            this.out.log(
                ext +
                    " dial " +
                    d.dial +
                    " (" +
                    d.category +
                    ": " +
                    d.reason +
                    ")"
            )
            this.decision = d
            this.placedAt = now
            this.lengthStage = this.toneOffAt = 0
            this.state = "calling"
            this.out.dial(d.dial as string)
            this.out.tone(TONE_RINGBACK)
        } else {
            this.out.log(
                ext +
                    " refused " +
                    this.refusedDigits +
                    " [" +
                    d.code +
                    "] " +
                    d.reason
            )
            this.rec.blocked(ext, d)
            if (d.code === "hours") this.count("hoursRefused")
            this.record({
                out: true,
                number: this.refusedDigits,
                dial: "",
                category: d.category,
                start: now,
                answered: 0,
                end: now,
                seconds: 0,
                outcome: "refused",
                code: d.code || "",
                forExt: "",
                rings: 0,
                hops: 0,
            })
            this.state = "waitOnHook"
            this.out.tone(TONE_UNOBTAINABLE)
        }
    }

    remoteAnswered(now: number) {
        if (this.state !== "calling") return
        this.state = "connected"
        this.connectedAt = now
        this.out.tone(TONE_OFF)
    }

    /**
     * Issue 12, site.callWarningSeconds / callLimitSeconds of the call's
     * category: stage 1 the warning beep, 2 the final warning (continuous
     * beeps for FINAL_WARNING_S), 3 the limit: the call ends.
     */
    private lengthTick(now: number) {
        const p = this.policy
        const d = this.decision
        const site = p ? p.site : undefined
        if (!site || !d) return
        if (this.toneOffAt && now >= this.toneOffAt) {
            this.toneOffAt = 0
            this.out.tone(TONE_OFF)
        }
        const t = (now - this.connectedAt) / this.secondMs
        const w = site.callWarningSeconds
        const l = site.callLimitSeconds
        const warn = w ? w[d.category] : 0
        const limit = l ? l[d.category] : 0
        const stage =
            limit && t >= limit
                ? 3
                : limit && t >= limit - FINAL_WARNING_S
                  ? 2
                  : warn && t >= warn
                    ? 1
                    : 0
        if (stage <= this.lengthStage) return
        if (!this.lengthStage) this.count("warned")
        this.lengthStage = stage
        this.out.log(this.extension + " call length stage " + stage)
        if (stage < 3) {
            this.out.tone(TONE_CALL_WARNING)
            this.toneOffAt = stage === 1 ? now + WARNING_BEEP_MS : 0
            return
        }
        this.count("cut")
        this.out.hangUp()
        this.endCall(now)
        this.state = "waitOnHook"
        this.out.tone(TONE_BUSY)
    }

    /** `reason`: the SIP line's FailureReason (1 busy, 2 no answer, 3 unreachable, 4 rejected). */
    callFailed(now: number, reason?: number) {
        if (this.state !== "calling") return
        this.endCall(now, FAILURES[reason || 0] || "unreachable")
        this.state = "waitOnHook"
        this.out.tone(TONE_BUSY)
    }

    remoteHungUp(now: number) {
        const s = this.state
        if (s === "ringing") {
            // The caller gave up before anyone answered.
            this.stopRinging()
            this.rec.incoming(this.extension, "missed")
            this.rec.callEnded(this.extension, "missed")
            this.out.log(this.extension + " missed call")
            this.endIncoming(now, this.earlierRings + this.ringNumber(now))
            this.state = "idle"
            return
        }
        if (s !== "calling" && s !== "connected" && s !== "talking") return
        if (s === "calling" || s === "connected") this.endCall(now)
        if (s === "talking") this.endIncoming(now, 0)
        this.state = "waitOnHook"
        this.out.tone(TONE_BUSY)
    }

    /**
     * An outgoing call ends: counted if it was connected, recorded in any
     * case. `failed`: the line's failure; hung up before an answer is
     * noAnswer.
     */
    private endCall(now: number, failed?: string) {
        const d = this.decision
        if (!d) return
        this.decision = undefined
        const connected = this.state === "connected"
        const seconds = connected
            ? Math.floor((now - this.connectedAt) / 1000)
            : 0
        if (connected)
            this.rec.outgoing(
                this.extension,
                d.category,
                d.dial as string,
                seconds,
                d
            )
        const c: PortCall = {
            out: true,
            number: d.number || (d.dial as string),
            dial: d.dial as string,
            category: d.category,
            start: this.placedAt,
            answered: connected ? this.connectedAt : 0,
            end: now,
            seconds,
            outcome: connected ? "answered" : failed || "noAnswer",
            code: "",
            forExt: "",
            rings: 0,
            hops: 0,
        }
        // issue 12: the code's owner, a private call
        if (d.codeOwner) c.owner = d.codeOwner
        if (d.private) c.private = true
        this.record(c)
    }

    /** The incoming call ends here: answered (talk over) or missed after `rings`. */
    private endIncoming(now: number, rings: number) {
        const c = this.inCall
        if (!c) return
        this.inCall = undefined
        c.end = now
        if (c.answered) c.seconds = Math.floor((now - c.answered) / 1000)
        else {
            c.outcome = "missed"
            c.rings = rings
        }
        this.record(c)
    }

    private record(c: PortCall) {
        if (this.rec.call) this.rec.call(this.extension, c)
    }

    /**
     * A call arrives. `divertedFrom`: the extension it was first for when
     * forwarded here ("" for a direct call); `diversions`: how many times
     * it was forwarded after ringing unanswered.
     */
    incomingCall(
        caller: string,
        divertedFrom: string,
        diversions: number,
        now: number
    ) {
        // The SIP line answers "busy" itself while the port is in use.
        if (this.state !== "idle") return
        const p = this.policy
        // Continue the chain of the handset the call was first for, so a
        // forwarded call moves on and never comes back.
        this.forwardTo = p
            ? this.hopsAfter(
                  p.forwardChain(divertedFrom || this.extension),
                  caller
              )
            : ""
        this.forwardAfter = p ? p.ringsBeforeForward : ON_TIME_RINGS
        // every earlier hop rang ringsBeforeForward times (the site's, the
        // same on every board) before it passed the call on
        this.earlierRings = diversions > 0 ? diversions * this.forwardAfter : 0
        this.out.log(
            this.extension +
                " incoming from " +
                caller +
                (divertedFrom ? " (for " + divertedFrom + ")" : "")
        )
        this.state = "ringing"
        this.ringStart = now
        this.ringOn = false
        this.inCall = {
            out: false,
            number: caller,
            dial: "",
            category: "incoming",
            start: now,
            answered: 0,
            end: 0,
            seconds: 0,
            outcome: "answered",
            code: "",
            forExt: divertedFrom,
            rings: 0,
            hops: diversions,
        }
        this.ringTick(now)
    }

    /**
     * The hops after this port in `chain`, space-separated; never the
     * caller (an internal caller is busy in this very call).
     */
    private hopsAfter(chain: string[], caller: string): string {
        let hops = ""
        for (let i = chain.indexOf(this.extension) + 1; i < chain.length; ++i)
            if (chain[i] !== caller) hops += (hops ? " " : "") + chain[i]
        return hops
    }

    /** Which ring of the cadence is sounding or last sounded (1-based). */
    ringNumber(now: number): number {
        return Math.floor((now - this.ringStart) / this.cadence.cycleMs) + 1
    }

    private ringTick(now: number) {
        const elapsed = now - this.ringStart
        const cycle = this.cadence.cycleMs
        const rings = Math.floor(elapsed / cycle)
        if (this.forwardTo && rings >= this.forwardAfter) {
            this.stopRinging()
            this.out.log(
                this.extension +
                    " unanswered after " +
                    rings +
                    " rings: forward to " +
                    this.forwardTo
            )
            this.out.redirect(this.forwardTo)
            this.rec.incoming(this.extension, "forwarded")
            // the hop it goes to records it
            this.inCall = undefined
            this.state = "idle"
            return
        }
        // The last hop (nobody left to take over) rings until it is
        // answered or the caller gives up.
        const on = elapsed % cycle < this.cadence.onMs
        if (on !== this.ringOn) {
            this.ringOn = on
            this.out.ring(on)
        }
    }

    private stopRinging() {
        if (this.ringOn) this.out.ring(false)
        this.ringOn = false
    }

    private answerIncoming(now: number) {
        const ring = this.ringNumber(now)
        const heard = this.earlierRings + ring
        this.stopRinging()
        this.out.answer()
        if (this.inCall) {
            this.inCall.answered = now
            this.inCall.rings = heard
        }
        this.rec.incoming(
            this.extension,
            ring <= ON_TIME_RINGS ? "onTime" : "late"
        )
        this.rec.callEnded(
            this.extension,
            heard <= ON_TIME_RINGS ? "onTime" : "late"
        )
        this.out.log(
            this.extension +
                " answered on ring " +
                ring +
                (this.earlierRings ? " (the caller's ring " + heard + ")" : "")
        )
        this.state = "talking"
    }
}
