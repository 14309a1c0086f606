// A simulated telephone exchange (the SIP side of every simulated port).
//
// - dial from a port: to another port's extension → incoming_call there
//   (caller = the dialling extension), or busy if that port is in use;
//   anything else goes "outside", which answers after answerAfterMs (or is
//   busy, unreachable, or rings unanswered: see OutsideBehaviour);
// - answer from the called port: connected, remote_answered to the caller;
// - hang_up from either side: the other side gets remote_hung_up (a ringing
//   call hung up by the called port: the caller gets call_failed Rejected);
// - redirect(targets) on a ringing incoming call (extensions, space-
//   separated): the call moves to the first target that can ring (a
//   simulated port on hook and not in a call; the others are skipped, as a
//   proxy forking serially over a 302's contacts), with diverted_from = the
//   extension it was first meant for and one diversion more; none can ring:
//   the caller gets busy. The redirecting port gets no further event;
// - calls from outside to a port (incomingFromOutside), hung up by
//   hangUpOutside.
// Every order from the firmware and every event sent back is recorded.
// One exchange can serve several boards (addPorts: a site, site.ts): then
// any extension of any board can be dialled or redirected to.

import { CommandInfo, SimPort } from "./devices"
import { Recorder } from "../src/board/record"
import { SimSpecs, enumName } from "../src/board/specs"

export interface OutsideBehaviour {
    /** Answer after this many ms (default 2000). */
    answerAfterMs?: number
    /** Report busy (call_failed Busy). */
    busy?: boolean
    /** Report call_failed Unreachable. */
    unreachable?: boolean
    /** Ring unanswered; with failAfterMs, call_failed NoAnswer after that. */
    noAnswer?: boolean
    failAfterMs?: number
    /** Once answered, hang up after this many ms of talk. */
    hangUpAfterMs?: number
}

export const FAILURE = { Busy: 1, NoAnswer: 2, Unreachable: 3, Rejected: 4 }

interface Party {
    /** The simulated port, or undefined for a number outside the site. */
    port?: SimPort
    number: string
}

interface Call {
    id: number
    caller: Party
    callee: Party
    state: "ringing" | "connected" | "ended"
    divertedFrom: string
    /** Times it was redirected after ringing unanswered. */
    diversions: number
    timers: NodeJS.Timeout[]
}

const SIGNAL_DELAY_MS = 50

export class Exchange {
    private calls: Call[] = []
    private nextId = 1
    private ports: SimPort[] = []
    outside: OutsideBehaviour = {}
    /** What the number called does, when it is not `outside` (a test's busy or unanswered numbers). */
    outsideFor?: (number: string) => OutsideBehaviour | undefined

    constructor(
        private rec: Recorder,
        private specs: SimSpecs
    ) {}

    setPorts(ports: SimPort[]) {
        this.ports = ports
    }

    /** More ports (another board's): one exchange serves a whole site. */
    addPorts(ports: SimPort[]) {
        for (const p of ports)
            if (this.portOf(p.extension))
                throw new Error(`extension ${p.extension} is served twice`)
        this.ports.push(...ports)
    }

    portOf(ext: string): SimPort | undefined {
        return this.ports.find(p => p.extension === ext)
    }

    /** The call `port` is in (calling, ringing or connected), if any. */
    callOf(port: SimPort): Call | undefined {
        return this.calls.find(
            c =>
                c.state !== "ended" &&
                (c.caller.port === port || c.callee.port === port)
        )
    }

    /** Ringing at `port`, not yet answered. */
    ringingAt(port: SimPort): boolean {
        const c = this.callOf(port)
        return !!c && c.state === "ringing" && c.callee.port === port
    }

    busy(port: SimPort): boolean {
        return port.offHook || this.callOf(port) !== undefined
    }

    activeCalls() {
        return this.calls.filter(c => c.state !== "ended")
    }

    /** Handles one command from the firmware to a port's services. */
    onCommand(port: SimPort, cmd: CommandInfo) {
        const at = { port: port.index, ext: port.extension }
        const v = cmd.values
        if (cmd.service === "handset") {
            if (cmd.name === "ring")
                return this.rec.add("ring", { ...at, on: !!v[0] })
            if (cmd.name === "tone") {
                const tone = enumName(
                    this.specs.handset,
                    "Tone",
                    v[0] as number
                )
                return this.rec.add("tone", { ...at, tone })
            }
        } else {
            switch (cmd.name) {
                case "dial":
                    this.rec.add("dial", { ...at, number: v[0] as string })
                    return this.dial(port, v[0] as string)
                case "answer":
                    this.rec.add("answer", at)
                    return this.answer(port)
                case "hang_up":
                    this.rec.add("hangUp", at)
                    return this.hangUp(port)
                case "redirect":
                    this.rec.add("redirect", { ...at, targets: v[0] as string })
                    return this.redirect(port, v[0] as string)
            }
        }
        this.rec.add("command", { ...at, service: cmd.service, name: cmd.name })
    }

    private later(call: Call, ms: number, f: () => void) {
        call.timers.push(
            setTimeout(() => {
                if (call.state !== "ended") f()
            }, ms)
        )
    }

    private newCall(caller: Party, callee: Party, divertedFrom = ""): Call {
        const call: Call = {
            id: this.nextId++,
            caller,
            callee,
            state: "ringing",
            divertedFrom,
            diversions: 0,
            timers: [],
        }
        this.calls.push(call)
        return call
    }

    private end(call: Call, why: string) {
        if (call.state === "ended") return
        call.state = "ended"
        for (const t of call.timers) clearTimeout(t)
        this.rec.add("callEnded", { call: call.id, why })
    }

    private fail(port: SimPort, reason: keyof typeof FAILURE) {
        this.rec.add("callFailed", {
            port: port.index,
            ext: port.extension,
            reason,
        })
        void port.callFailed(FAILURE[reason])
    }

    private remoteHungUp(port: SimPort) {
        this.rec.add("remoteHungUp", { port: port.index, ext: port.extension })
        void port.remoteHungUp()
    }

    private deliver(call: Call) {
        const to = call.callee.port!
        this.rec.add("incoming", {
            port: to.index,
            ext: to.extension,
            caller: call.caller.number,
            divertedFrom: call.divertedFrom,
            diversions: call.diversions,
            call: call.id,
        })
        void to.incomingCall(
            call.caller.number,
            call.divertedFrom,
            call.diversions
        )
    }

    private dial(port: SimPort, number: string) {
        const old = this.callOf(port)
        if (old) this.end(old, "dialled again")
        const target = this.portOf(number)
        if (target) {
            if (target === port || this.busy(target)) {
                this.rec.add("callRefused", {
                    from: port.extension,
                    to: number,
                    why: "busy",
                })
                setTimeout(() => this.fail(port, "Busy"), SIGNAL_DELAY_MS)
                return
            }
            const call = this.newCall(
                { port, number: port.extension },
                { port: target, number }
            )
            this.rec.add("call", {
                call: call.id,
                from: port.extension,
                to: number,
            })
            this.later(call, SIGNAL_DELAY_MS, () => this.deliver(call))
            return
        }
        const call = this.newCall({ port, number: port.extension }, { number })
        this.rec.add("call", {
            call: call.id,
            from: port.extension,
            to: number,
            outside: true,
        })
        const b = this.outsideFor?.(number) ?? this.outside
        const failWith = (reason: keyof typeof FAILURE) => {
            this.end(call, reason)
            this.fail(port, reason)
        }
        if (b.busy) return this.later(call, 200, () => failWith("Busy"))
        if (b.unreachable)
            return this.later(call, 200, () => failWith("Unreachable"))
        if (b.noAnswer) {
            if (b.failAfterMs !== undefined)
                this.later(call, b.failAfterMs, () => failWith("NoAnswer"))
            return
        }
        this.later(call, b.answerAfterMs ?? 2000, () => {
            call.state = "connected"
            this.rec.add("outsideAnswered", { call: call.id, number })
            this.rec.add("remoteAnswered", {
                port: port.index,
                ext: port.extension,
            })
            void port.remoteAnswered()
            if (b.hangUpAfterMs !== undefined)
                this.later(call, b.hangUpAfterMs, () => {
                    this.end(call, "outside hung up")
                    this.remoteHungUp(port)
                })
        })
    }

    private answer(port: SimPort) {
        const call = this.callOf(port)
        if (!call || call.callee.port !== port || call.state !== "ringing") {
            this.rec.add("anomaly", {
                port: port.index,
                ext: port.extension,
                what: "answer without a ringing incoming call",
            })
            return
        }
        call.state = "connected"
        this.rec.add("connected", {
            call: call.id,
            from: call.caller.number,
            to: port.extension,
        })
        const caller = call.caller.port
        if (caller) {
            this.rec.add("remoteAnswered", {
                port: caller.index,
                ext: caller.extension,
            })
            void caller.remoteAnswered()
        }
    }

    private hangUp(port: SimPort) {
        const call = this.callOf(port)
        if (!call) return
        const wasRinging = call.state === "ringing"
        this.end(call, `${port.extension} hung up`)
        const other = call.caller.port === port ? call.callee : call.caller
        if (!other.port) return
        // The called port hanging up a ringing call rejects it.
        if (wasRinging && other === call.caller)
            this.fail(other.port, "Rejected")
        else this.remoteHungUp(other.port)
    }

    /** Why `ext` cannot ring now (off hook or in a call is busy), or "" if it can. */
    private cannotRing(ext: string): string {
        const p = this.portOf(ext)
        if (!p) return "not a simulated port"
        return this.busy(p) ? "busy" : ""
    }

    private redirect(port: SimPort, targets: string) {
        const call = this.callOf(port)
        if (!call || call.callee.port !== port || call.state !== "ringing") {
            this.rec.add("anomaly", {
                port: port.index,
                ext: port.extension,
                what: `redirect to ${targets} without a ringing incoming call`,
            })
            return
        }
        const skipped: string[] = []
        const target = targets
            .split(" ")
            .filter(t => t !== "")
            .find(t => {
                const why = this.cannotRing(t)
                if (why) skipped.push(`${t} ${why}`)
                return !why
            })
        if (target === undefined) {
            this.rec.add("redirectFailed", {
                from: port.extension,
                targets,
                why: skipped.join(", ") || "no target",
            })
            this.end(call, `redirect to ${targets} failed`)
            if (call.caller.port) this.fail(call.caller.port, "Busy")
            return
        }
        call.divertedFrom = call.divertedFrom || port.extension
        call.diversions++
        call.callee = { port: this.portOf(target), number: target }
        this.rec.add("forwarded", {
            call: call.id,
            from: port.extension,
            to: target,
            divertedFrom: call.divertedFrom,
            diversions: call.diversions,
            ...(skipped.length ? { skipped: skipped.join(", ") } : {}),
        })
        this.later(call, SIGNAL_DELAY_MS, () => this.deliver(call))
    }

    /** A call from `number` outside the site to extension `ext`. */
    incomingFromOutside(number: string, ext: string): boolean {
        const port = this.portOf(ext)
        if (!port) throw new Error(`no simulated port serves extension ${ext}`)
        if (this.busy(port)) {
            this.rec.add("callRefused", { from: number, to: ext, why: "busy" })
            return false
        }
        const call = this.newCall({ number }, { port, number: ext })
        this.rec.add("call", {
            call: call.id,
            from: number,
            to: ext,
            outside: true,
        })
        this.deliver(call)
        return true
    }

    /**
     * The party outside hangs up every call it is in (or the one with
     * `number`; only calls with one of `among`, if given: one board's ports).
     */
    hangUpOutside(number?: string, among?: SimPort[]): number {
        let n = 0
        for (const call of this.activeCalls()) {
            if (
                among &&
                !among.some(
                    p => p === call.caller.port || p === call.callee.port
                )
            )
                continue
            const out = !call.caller.port
                ? call.caller
                : !call.callee.port
                  ? call.callee
                  : undefined
            if (!out || (number && out.number !== number)) continue
            n++
            this.end(call, `outside ${out.number} hung up`)
            const other = out === call.caller ? call.callee : call.caller
            if (other.port) this.remoteHungUp(other.port)
        }
        return n
    }

    stop() {
        for (const c of this.calls) for (const t of c.timers) clearTimeout(t)
    }
}
