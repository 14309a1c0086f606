// Host tests for one handset port (devs/phone/handsetPort.ts): the dial
// session from off-hook to on-hook, and incoming calls from the first ring
// to answer or forward. Time is a plain number passed as `now`;
// the outputs and the recorder write into arrays with the time they were
// called at, so every assertion can name the exact millisecond.

import { readFileSync } from "fs"
import { describe, expect, test, vi } from "vitest"
import { compileDialPlan } from "../devs/engine/dialPlan"
import { Decision } from "../devs/engine/dialSession"
import { DialPlan } from "../devs/engine/types"
import { CallerOutcome, IncomingOutcome } from "../devs/phone/counters"
import { forwardChain } from "../devs/phone/forwarding"
import {
    CHINA_RING,
    HandsetPort,
    ON_TIME_RINGS,
    PortOutputs,
    PortPolicy,
    PortRecorder,
    RingCadence,
    TONE_BUSY,
    TONE_DIAL,
    TONE_OFF,
    TONE_RINGBACK,
    TONE_UNOBTAINABLE,
    TONE_WARNING,
} from "../devs/phone/handsetPort"
import { Policy } from "../devs/policy/types"
import { validPolicy } from "./helpers"

// ---------------------------------------------------------------- policies

const HQ_RAW = JSON.parse(
    readFileSync(
        new URL("../sim/policies/hq.policy.json", import.meta.url),
        "utf8"
    )
)

interface Compiled {
    policy: Policy
    plan: DialPlan
}

/**
 * The sample HQ policy (8000 front desk receive-only, 8001 domestic, 8101
 * international, 8102 suspended), with `site` keys merged over its site and
 * `handsets` keys merged over the handset with that extension.
 */
function hq(site: any = {}, handsets: Record<string, any> = {}): Compiled {
    const raw = JSON.parse(JSON.stringify(HQ_RAW))
    Object.assign(raw.site, site)
    for (const h of raw.handsets)
        if (handsets[h.extension]) Object.assign(h, handsets[h.extension])
    const policy = validPolicy(raw)
    return { policy, plan: compileDialPlan(policy) }
}

const HQ = hq()

/** A forwardChain stub answering from a table (unknown extension: no chain). */
function chains(table: Record<string, string[]> = {}) {
    return vi.fn((ext: string) => (table[ext] ? table[ext].slice(0) : []))
}

function portPolicy(
    c: Compiled,
    ext: string,
    chain: (ext: string) => string[] = chains()
): PortPolicy {
    const handset = c.plan.handsets.find(h => h.extension === ext)
    if (!handset) throw new Error("no handset " + ext)
    return {
        plan: c.plan,
        handset,
        ringsBeforeForward: c.policy.site.ringsBeforeForward,
        forwardChain: chain,
    }
}

// --------------------------------------------------------------------- rig

interface Ev {
    at: number
    what: string
    arg?: any
}

interface Outgoing {
    at: number
    ext: string
    category: string
    number: string
    seconds: number
}

interface Blocked {
    at: number
    ext: string
    decision: Decision
}

interface Incoming {
    at: number
    ext: string
    outcome: IncomingOutcome
}

interface CallEnd {
    at: number
    ext: string
    outcome: CallerOutcome
}

/** One port with a fake clock, recording outputs and a recording recorder. */
class Rig {
    now = 0
    events: Ev[] = []
    outgoing: Outgoing[] = []
    blocked: Blocked[] = []
    incoming: Incoming[] = []
    /** The caller's view: calls that ended here. */
    ended: CallEnd[] = []
    port: HandsetPort

    constructor(
        ext: string,
        policy: PortPolicy,
        cadence: RingCadence = CHINA_RING
    ) {
        const ev = (what: string, arg?: any) =>
            this.events.push(
                arg === undefined
                    ? { at: this.now, what }
                    : { at: this.now, what, arg }
            )
        const out: PortOutputs = {
            tone: t => ev("tone", t),
            ring: on => ev("ring", on),
            dial: n => ev("dial", n),
            answer: () => ev("answer"),
            hangUp: () => ev("hangUp"),
            redirect: t => ev("redirect", t),
            log: line => ev("log", line),
        }
        const rec: PortRecorder = {
            outgoing: (ext, category, number, seconds) =>
                this.outgoing.push({
                    at: this.now,
                    ext,
                    category,
                    number,
                    seconds,
                }),
            blocked: (ext, decision) =>
                this.blocked.push({ at: this.now, ext, decision }),
            incoming: (ext, outcome) =>
                this.incoming.push({ at: this.now, ext, outcome }),
            callEnded: (ext, outcome) =>
                this.ended.push({ at: this.now, ext, outcome }),
        }
        this.port = new HandsetPort(ext, out, rec, cadence)
        this.port.setPolicy(policy)
    }

    private at(t: number) {
        expect(t).toBeGreaterThanOrEqual(this.now)
        this.now = t
    }

    get state() {
        return this.port.state
    }

    offHook(t: number) {
        this.at(t)
        this.port.offHook(t)
    }
    onHook(t: number) {
        this.at(t)
        this.port.onHook(t)
    }
    /** Presses `keys` at t, t + gap, ...; returns when the last one was pressed. */
    keys(keys: string, t: number, gap = 200): number {
        for (let i = 0; i < keys.length; ++i) {
            this.at(t + i * gap)
            this.port.key(keys.charAt(i), this.now)
        }
        return this.now
    }
    tick(t: number) {
        this.at(t)
        this.port.tick(t)
    }
    /** tick() every `step` ms after the current time, up to and including t. */
    runTo(t: number, step = 50) {
        for (let n = this.now + step; n < t; n += step) this.tick(n)
        this.tick(t)
    }
    incomingCall(
        caller: string,
        divertedFrom: string,
        t: number,
        diversions = divertedFrom ? 1 : 0
    ) {
        this.at(t)
        this.port.incomingCall(caller, divertedFrom, diversions, t)
    }
    remoteAnswered(t: number) {
        this.at(t)
        this.port.remoteAnswered(t)
    }
    callFailed(t: number) {
        this.at(t)
        this.port.callFailed(t)
    }
    remoteHungUp(t: number) {
        this.at(t)
        this.port.remoteHungUp(t)
    }
    setPolicy(p: PortPolicy, t: number) {
        this.at(t)
        this.port.setPolicy(p)
    }

    /** Everything but log lines. */
    signals(): Ev[] {
        return this.events.filter(e => e.what !== "log")
    }
    /** Signals at or after `t`. */
    since(t: number): Ev[] {
        return this.signals().filter(e => e.at >= t)
    }
    of(what: string): Ev[] {
        return this.events.filter(e => e.what === what)
    }
    logs(): string[] {
        return this.of("log").map(e => e.arg)
    }
    rings(): Ev[] {
        return this.of("ring")
    }
}

const tone = (at: number, t: number): Ev => ({ at, what: "tone", arg: t })
const ring = (at: number, on: boolean): Ev => ({ at, what: "ring", arg: on })
const dial = (at: number, n: string): Ev => ({ at, what: "dial", arg: n })
const ev = (at: number, what: string, arg?: any): Ev =>
    arg === undefined ? { at, what } : { at, what, arg }

const BEIJING = "01062345678"
const BEIJING_VIA_IP = "1790901062345678"

/** 8001 lifts at 0, dials Beijing from 1000 (11 keys, 200 ms apart: last at 3000). */
function callBeijing(c: Compiled = HQ): Rig {
    const r = new Rig("8001", portPolicy(c, "8001"))
    r.offHook(0)
    r.keys(BEIJING, 1000)
    return r
}

// ------------------------------------------------------------------ policy

describe("test policy (sim/policies/hq.policy.json)", () => {
    test("has the timers and ring count the tests rely on", () => {
        expect(HQ.plan.timers).toEqual({
            firstDigitMs: 16000,
            interDigitMs: 10000,
            shortMs: 3000,
        })
        expect(HQ.policy.site.ringsBeforeForward).toBe(3)
        expect(HQ.plan.ipPrefix).toBe("17909")
        expect(HQ.plan.areaCode).toBe("025")
    })

    test("tone numbers match the Handset service Tone enum", () => {
        expect([
            TONE_OFF,
            TONE_DIAL,
            TONE_RINGBACK,
            TONE_BUSY,
            TONE_UNOBTAINABLE,
            TONE_WARNING,
        ]).toEqual([0, 1, 2, 3, 4, 6])
    })

    test("ring constants: China cadence, 3 rings on time", () => {
        expect(CHINA_RING).toEqual({ onMs: 1000, cycleMs: 5000 })
        expect(ON_TIME_RINGS).toBe(3)
    })
})

// ------------------------------------------------------------- dial session

describe("dialling", () => {
    test("a new port is idle and silent", () => {
        const r = new Rig("8001", portPolicy(HQ, "8001"))
        expect(r.state).toBe("idle")
        expect(r.events).toEqual([])
    })

    test("off-hook plays dial tone", () => {
        const r = new Rig("8001", portPolicy(HQ, "8001"))
        r.offHook(1234)
        expect(r.state).toBe("dialling")
        expect(r.signals()).toEqual([tone(1234, TONE_DIAL)])
    })

    test("a second off-hook while off the hook changes nothing", () => {
        const r = new Rig("8001", portPolicy(HQ, "8001"))
        r.offHook(0)
        r.keys("0", 500)
        r.offHook(600)
        expect(r.state).toBe("dialling")
        expect(r.signals()).toEqual([tone(0, TONE_DIAL), tone(500, TONE_OFF)])
    })

    test("the first key stops the dial tone, later keys leave the tone alone", () => {
        const r = new Rig("8001", portPolicy(HQ, "8001"))
        r.offHook(0)
        r.keys("010", 700, 300)
        expect(r.signals()).toEqual([tone(0, TONE_DIAL), tone(700, TONE_OFF)])
        expect(r.state).toBe("dialling")
    })

    test("a complete domestic number dials at its last key, with the IP prefix, then ringback", () => {
        const r = callBeijing()
        expect(r.signals()).toEqual([
            tone(0, TONE_DIAL),
            tone(1000, TONE_OFF),
            dial(3000, BEIJING_VIA_IP),
            tone(3000, TONE_RINGBACK),
        ])
        expect(r.state).toBe("calling")
        expect(r.logs()).toContain(
            "8001 dial 1790901062345678 (domestic: domestic long distance via IP prefix 17909)"
        )
        // no timer is left running: nothing more happens while it rings out
        r.runTo(40000, 500)
        expect(r.since(3001)).toEqual([])
        expect(r.blocked).toEqual([])
    })

    test("nothing is dialled before the number is complete", () => {
        const r = new Rig("8001", portPolicy(HQ, "8001"))
        r.offHook(0)
        r.keys(BEIJING.slice(0, 10), 1000)
        expect(r.of("dial")).toEqual([])
        expect(r.state).toBe("dialling")
    })

    test("answered, talked 95 s, on-hook: hang up and record the call", () => {
        const r = callBeijing()
        r.remoteAnswered(5000)
        expect(r.state).toBe("connected")
        expect(r.since(5000)).toEqual([tone(5000, TONE_OFF)])
        r.onHook(5000 + 95000)
        expect(r.since(5001)).toEqual([
            ev(100000, "hangUp"),
            tone(100000, TONE_OFF),
        ])
        expect(r.state).toBe("idle")
        expect(r.outgoing).toEqual([
            {
                at: 100000,
                ext: "8001",
                category: "domestic",
                number: BEIJING_VIA_IP,
                seconds: 95,
            },
        ])
    })

    test("talk time counts from the answer, in whole seconds rounded down", () => {
        const r = callBeijing()
        r.remoteAnswered(20000)
        r.onHook(20000 + 95999)
        expect(r.outgoing.map(o => o.seconds)).toEqual([95])
        const q = callBeijing()
        q.remoteAnswered(4000)
        q.onHook(4000 + 999)
        expect(q.outgoing.map(o => o.seconds)).toEqual([0])
    })

    test("remoteAnswered is ignored unless the port is calling", () => {
        const r = new Rig("8001", portPolicy(HQ, "8001"))
        r.remoteAnswered(10)
        expect(r.state).toBe("idle")
        r.offHook(100)
        r.keys("010", 200)
        r.remoteAnswered(1000)
        expect(r.state).toBe("dialling")
        expect(r.signals()).toEqual([tone(100, TONE_DIAL), tone(200, TONE_OFF)])
    })

    test("a premium number is refused: unobtainable tone, blocked record, further keys ignored", () => {
        const r = new Rig("8001", portPolicy(HQ, "8001"))
        r.offHook(0)
        const last = r.keys("16812345", 1000)
        expect(last).toBe(2400)
        expect(r.signals()).toEqual([
            tone(0, TONE_DIAL),
            tone(1000, TONE_OFF),
            tone(2400, TONE_UNOBTAINABLE),
        ])
        expect(r.state).toBe("waitOnHook")
        expect(r.blocked).toHaveLength(1)
        expect(r.blocked[0].at).toBe(2400)
        expect(r.blocked[0].ext).toBe("8001")
        expect(r.blocked[0].decision).toMatchObject({
            action: "block",
            category: "premium",
            code: "premium",
        })
        expect(r.blocked[0].decision.dial).toBeUndefined()
        expect(r.logs()).toContainEqual(
            expect.stringContaining("8001 refused 16812345 [premium]")
        )
        // more keys, and the timers, do nothing now
        r.keys("0106234567890", 3000)
        r.runTo(60000, 500)
        expect(r.since(2401)).toEqual([])
        expect(r.of("dial")).toEqual([])
        expect(r.blocked).toHaveLength(1)
        r.onHook(61000)
        expect(r.since(61000)).toEqual([tone(61000, TONE_OFF)])
        expect(r.state).toBe("idle")
        expect(r.outgoing).toEqual([])
    })

    test("a premium prefix (12590) is refused the moment it is dialled", () => {
        const r = new Rig("8101", portPolicy(HQ, "8101"))
        r.offHook(0)
        r.keys("12590", 1000)
        expect(r.since(1001)).toEqual([tone(1800, TONE_UNOBTAINABLE)])
        expect(r.blocked.map(b => [b.ext, b.decision.code])).toEqual([
            ["8101", "premium"],
        ])
    })

    test("an extension from 8001 waits the short timer after the last key", () => {
        const r = new Rig("8001", portPolicy(HQ, "8001"))
        const short = HQ.plan.timers.shortMs
        expect(short).toBe(3000)
        r.offHook(0)
        const last = r.keys("8000", 1000)
        expect(last).toBe(1600)
        r.runTo(last + short - 50)
        r.tick(last + short - 1)
        expect(r.of("dial")).toEqual([])
        expect(r.state).toBe("dialling")
        r.tick(last + short)
        expect(r.since(1601)).toEqual([
            dial(4600, "8000"),
            tone(4600, TONE_RINGBACK),
        ])
        expect(r.state).toBe("calling")
        expect(r.blocked).toEqual([])
    })

    test("each key restarts the timer: a slow extension is still dialled", () => {
        const r = new Rig("8001", portPolicy(HQ, "8001"))
        r.offHook(0)
        // 9 s between keys: under the 10 s inter-digit timer each time
        const last = r.keys("8000", 1000, 9000)
        expect(last).toBe(28000)
        r.runTo(30950)
        expect(r.of("dial")).toEqual([])
        r.runTo(31000)
        expect(r.of("dial")).toEqual([dial(31000, "8000")])
    })

    test("# ends dialling at once, without waiting for the timer", () => {
        const r = new Rig("8001", portPolicy(HQ, "8001"))
        r.offHook(0)
        r.keys("8000#", 1000)
        expect(r.of("dial")).toEqual([dial(1800, "8000")])
        expect(r.state).toBe("calling")
    })

    test("an incomplete number is refused when the inter-digit timer runs out", () => {
        const r = new Rig("8001", portPolicy(HQ, "8001"))
        r.offHook(0)
        const last = r.keys("0101234", 1000)
        r.tick(last + 9999)
        expect(r.state).toBe("dialling")
        expect(r.blocked).toEqual([])
        r.tick(last + 10000)
        expect(r.since(last + 1)).toEqual([
            tone(last + 10000, TONE_UNOBTAINABLE),
        ])
        expect(r.blocked.map(b => b.decision)).toEqual([
            expect.objectContaining({
                action: "block",
                code: "invalid",
                decidedOn: "timeout",
            }),
        ])
        expect(r.state).toBe("waitOnHook")
    })

    test("the first key replaces the first-digit timer with the inter-digit timer", () => {
        const r = new Rig("8001", portPolicy(HQ, "8001"))
        r.offHook(0)
        r.keys("0", 15000)
        r.tick(16000) // the first-digit deadline has passed, but a key came
        r.tick(24999)
        expect(r.state).toBe("dialling")
        expect(r.of("tone").map(e => e.arg)).toEqual([TONE_DIAL, TONE_OFF])
        r.tick(25000)
        expect(r.of("tone").map(e => e.arg)).toEqual([
            TONE_DIAL,
            TONE_OFF,
            TONE_UNOBTAINABLE,
        ])
        expect(r.blocked.map(b => b.decision.code)).toEqual(["invalid"])
    })

    test("nothing dialled until the first-digit timer expires: warning tone, no blocked record", () => {
        const r = new Rig("8001", portPolicy(HQ, "8001"))
        r.offHook(1000)
        r.runTo(1000 + 16000 - 50)
        r.tick(1000 + 15999)
        expect(r.signals()).toEqual([tone(1000, TONE_DIAL)])
        r.tick(17000)
        expect(r.signals()).toEqual([
            tone(1000, TONE_DIAL),
            tone(17000, TONE_WARNING),
        ])
        expect(r.state).toBe("waitOnHook")
        expect(r.blocked).toEqual([])
        expect(r.logs()).toEqual(["8001 off hook without dialling"])
        // keys no longer dial, the tone keeps playing until on-hook
        r.keys("110", 18000)
        r.runTo(40000, 500)
        expect(r.since(17001)).toEqual([])
        r.onHook(41000)
        expect(r.since(17001)).toEqual([tone(41000, TONE_OFF)])
        expect(r.state).toBe("idle")
        expect(r.blocked).toEqual([])
        expect(r.outgoing).toEqual([])
    })

    test("on-hook while dialling: back to idle, nothing dialled or recorded", () => {
        const r = new Rig("8001", portPolicy(HQ, "8001"))
        r.offHook(0)
        r.keys("0101", 1000)
        r.onHook(2000)
        expect(r.state).toBe("idle")
        expect(r.since(1001)).toEqual([tone(2000, TONE_OFF)])
        r.runTo(30000, 500) // the dialling timer must not fire any more
        expect(r.since(2001)).toEqual([])
        expect(r.blocked).toEqual([])
    })

    test("the next off-hook starts a fresh number", () => {
        const r = new Rig("8001", portPolicy(HQ, "8001"))
        r.offHook(0)
        r.keys("0101", 1000)
        r.onHook(2000)
        r.offHook(3000)
        r.keys(BEIJING, 4000)
        expect(r.of("dial")).toEqual([dial(6000, BEIJING_VIA_IP)])
        expect(r.of("tone").map(e => [e.at, e.arg])).toEqual([
            [0, TONE_DIAL],
            [1000, TONE_OFF],
            [2000, TONE_OFF],
            [3000, TONE_DIAL],
            [4000, TONE_OFF],
            [6000, TONE_RINGBACK],
        ])
    })

    test("keys while calling or connected are not a new call", () => {
        const r = callBeijing()
        r.keys("8000#", 3500)
        r.remoteAnswered(5000)
        r.keys("123#", 6000)
        r.runTo(30000, 500)
        expect(r.of("dial")).toEqual([dial(3000, BEIJING_VIA_IP)])
        expect(r.since(3001)).toEqual([tone(5000, TONE_OFF)])
        expect(r.state).toBe("connected")
        r.onHook(65000)
        expect(r.outgoing).toEqual([
            {
                at: 65000,
                ext: "8001",
                category: "domestic",
                number: BEIJING_VIA_IP,
                seconds: 60,
            },
        ])
    })

    test("call failed (busy far end): busy tone until on-hook, nothing recorded", () => {
        const r = callBeijing()
        r.callFailed(4000)
        expect(r.state).toBe("waitOnHook")
        expect(r.since(3001)).toEqual([tone(4000, TONE_BUSY)])
        r.remoteAnswered(4500) // too late: ignored
        expect(r.state).toBe("waitOnHook")
        r.onHook(9000)
        expect(r.since(3001)).toEqual([
            tone(4000, TONE_BUSY),
            tone(9000, TONE_OFF),
        ])
        expect(r.of("hangUp")).toEqual([])
        expect(r.outgoing).toEqual([])
        expect(r.state).toBe("idle")
    })

    test("callFailed is ignored unless calling", () => {
        const r = callBeijing()
        r.remoteAnswered(4000)
        r.callFailed(5000)
        expect(r.state).toBe("connected")
        expect(r.of("tone").map(e => e.arg)).not.toContain(TONE_BUSY)
        const idle = new Rig("8001", portPolicy(HQ, "8001"))
        idle.callFailed(5)
        expect(idle.state).toBe("idle")
        expect(idle.events).toEqual([])
    })

    test("the far end hangs up while connected: busy tone, call recorded once", () => {
        const r = callBeijing()
        r.remoteAnswered(5000)
        r.remoteHungUp(5000 + 42500)
        expect(r.state).toBe("waitOnHook")
        expect(r.since(5001)).toEqual([tone(47500, TONE_BUSY)])
        expect(r.outgoing).toEqual([
            {
                at: 47500,
                ext: "8001",
                category: "domestic",
                number: BEIJING_VIA_IP,
                seconds: 42,
            },
        ])
        r.onHook(50000)
        expect(r.since(47501)).toEqual([tone(50000, TONE_OFF)])
        expect(r.of("hangUp")).toEqual([])
        expect(r.outgoing).toHaveLength(1)
        expect(r.state).toBe("idle")
    })

    test("the far end cancels before answering: busy tone, nothing recorded", () => {
        const r = callBeijing()
        r.remoteHungUp(8000)
        expect(r.since(3001)).toEqual([tone(8000, TONE_BUSY)])
        expect(r.state).toBe("waitOnHook")
        expect(r.outgoing).toEqual([])
    })

    test("on-hook before the far end answers: hang up, nothing recorded", () => {
        const r = callBeijing()
        r.onHook(9000)
        expect(r.since(3001)).toEqual([
            ev(9000, "hangUp"),
            tone(9000, TONE_OFF),
        ])
        expect(r.outgoing).toEqual([])
        expect(r.state).toBe("idle")
    })

    test("remote hang-up or on-hook when idle does nothing", () => {
        const r = new Rig("8001", portPolicy(HQ, "8001"))
        r.remoteHungUp(10)
        r.onHook(20)
        expect(r.events).toEqual([])
        expect(r.state).toBe("idle")
    })
})

describe("class of service at the port", () => {
    test("suspended 8102 can dial 110 at once, unchanged", () => {
        const r = new Rig("8102", portPolicy(HQ, "8102"))
        r.offHook(0)
        r.keys("110", 1000)
        expect(r.signals()).toEqual([
            tone(0, TONE_DIAL),
            tone(1000, TONE_OFF),
            dial(1400, "110"),
            tone(1400, TONE_RINGBACK),
        ])
        expect(r.blocked).toEqual([])
        r.remoteAnswered(2000)
        r.onHook(32000)
        expect(r.outgoing).toEqual([
            {
                at: 32000,
                ext: "8102",
                category: "emergency",
                number: "110",
                seconds: 30,
            },
        ])
    })

    test("suspended 8102 cannot dial extension 8001", () => {
        const r = new Rig("8102", portPolicy(HQ, "8102"))
        r.offHook(0)
        const last = r.keys("8001", 1000)
        r.runTo(last + 3000)
        expect(r.of("dial")).toEqual([])
        expect(r.since(1001)).toEqual([tone(4600, TONE_UNOBTAINABLE)])
        expect(r.blocked.map(b => [b.at, b.ext, b.decision.code])).toEqual([
            [4600, "8102", "suspended"],
        ])
        expect(r.state).toBe("waitOnHook")
    })

    test("receive-only front desk 8000 cannot dial out but can call a colleague", () => {
        const r = new Rig("8000", portPolicy(HQ, "8000"))
        r.offHook(0)
        r.keys(BEIJING, 1000)
        expect(r.of("dial")).toEqual([])
        expect(r.blocked.map(b => [b.at, b.decision.code])).toEqual([
            [3000, "receiveOnly"],
        ])
        r.onHook(4000)
        r.offHook(5000)
        const last = r.keys("8001", 6000)
        r.runTo(last + 3000)
        expect(r.of("dial")).toEqual([dial(last + 3000, "8001")])
        expect(r.blocked).toHaveLength(1)
    })

    test("8101 (international) dials abroad with the IP prefix", () => {
        const r = new Rig("8101", portPolicy(HQ, "8101"))
        r.offHook(0)
        const last = r.keys("0085212345678", 1000)
        r.runTo(last + 10000)
        expect(r.of("dial").map(e => e.arg)).toEqual(["179090085212345678"])
        expect(r.blocked).toEqual([])
    })
})

// ------------------------------------------------------------ incoming calls

describe("incoming calls: ringing", () => {
    const T0 = 7030 // not a multiple of the tick step or the cadence

    test("ring cadence: 1 s on, 4 s off, exact to the millisecond with 50 ms ticks", () => {
        const r = new Rig("8001", portPolicy(HQ, "8001"))
        r.incomingCall("02584001234", "", T0)
        expect(r.state).toBe("ringing")
        expect(r.rings()).toEqual([ring(T0, true)])
        r.runTo(T0 + 20000 - 50)
        expect(r.rings()).toEqual([
            ring(T0, true),
            ring(T0 + 1000, false),
            ring(T0 + 5000, true),
            ring(T0 + 6000, false),
            ring(T0 + 10000, true),
            ring(T0 + 11000, false),
            ring(T0 + 15000, true),
            ring(T0 + 16000, false),
        ])
        expect(r.signals()).toEqual(r.rings()) // nothing but the bell
        expect(r.incoming).toEqual([])
        expect(r.logs()).toContain("8001 incoming from 02584001234")
    })

    test("ring(true)/ring(false) alternate and are never repeated", () => {
        const r = new Rig("8001", portPolicy(HQ, "8001"))
        r.incomingCall("02584001234", "", T0)
        r.runTo(T0 + 59000, 10)
        const arg = r.rings().map(e => e.arg)
        expect(arg).toHaveLength(24)
        arg.forEach((on, i) => expect(on).toBe(i % 2 === 0))
    })

    test("ringNumber counts 5 s cycles from the first ring", () => {
        const r = new Rig("8001", portPolicy(HQ, "8001"))
        r.incomingCall("02584001234", "", T0)
        expect(r.port.ringNumber(T0)).toBe(1)
        expect(r.port.ringNumber(T0 + 4999)).toBe(1)
        expect(r.port.ringNumber(T0 + 5000)).toBe(2)
        expect(r.port.ringNumber(T0 + 14999)).toBe(3)
        expect(r.port.ringNumber(T0 + 15000)).toBe(4)
    })

    test("a different cadence is honoured", () => {
        const r = new Rig("8001", portPolicy(HQ, "8001"), {
            onMs: 400,
            cycleMs: 2000,
        })
        r.incomingCall("8101", "", 0)
        r.runTo(4000)
        expect(r.rings()).toEqual([
            ring(0, true),
            ring(400, false),
            ring(2000, true),
            ring(2400, false),
            ring(4000, true),
        ])
    })

    test("answered on ring 3 is on time", () => {
        const r = new Rig("8001", portPolicy(HQ, "8001"))
        r.incomingCall("02584001234", "", T0)
        r.runTo(T0 + 14950)
        r.offHook(T0 + 14999)
        expect(r.state).toBe("talking")
        // the bell is off at that point of ring 3: no ring(false) needed
        expect(r.since(T0 + 11001)).toEqual([ev(T0 + 14999, "answer")])
        expect(r.incoming).toEqual([
            { at: T0 + 14999, ext: "8001", outcome: "onTime" },
        ])
        expect(r.logs()).toContain("8001 answered on ring 3")
        expect(r.of("tone")).toEqual([]) // answering is not a dial tone
    })

    test("answered while the bell sounds: bell off, then answer", () => {
        const r = new Rig("8001", portPolicy(HQ, "8001"))
        r.incomingCall("02584001234", "", T0)
        r.runTo(T0 + 500)
        r.offHook(T0 + 520)
        expect(r.signals()).toEqual([
            ring(T0, true),
            ring(T0 + 520, false),
            ev(T0 + 520, "answer"),
        ])
        expect(r.incoming.map(i => i.outcome)).toEqual(["onTime"])
    })

    test("answered on ring 4 is late", () => {
        // no one to forward to, so ring 4 comes
        const r = new Rig("8001", portPolicy(HQ, "8001", chains()))
        r.incomingCall("02584001234", "", T0)
        r.runTo(T0 + 15000)
        expect(r.rings().pop()).toEqual(ring(T0 + 15000, true))
        r.offHook(T0 + 15000)
        expect(r.since(T0 + 15000)).toEqual([
            ring(T0 + 15000, true),
            ring(T0 + 15000, false),
            ev(T0 + 15000, "answer"),
        ])
        expect(r.incoming).toEqual([
            { at: T0 + 15000, ext: "8001", outcome: "late" },
        ])
        expect(r.logs()).toContain("8001 answered on ring 4")
    })

    test("once answered the bell stays silent and the call is not forwarded", () => {
        const r = new Rig(
            "8001",
            portPolicy(HQ, "8001", chains({ "8001": ["8000"] }))
        )
        r.incomingCall("02584001234", "", T0)
        r.runTo(T0 + 3000)
        r.offHook(T0 + 3000)
        r.runTo(T0 + 90000, 500)
        expect(r.since(T0 + 3001)).toEqual([])
        expect(r.of("redirect")).toEqual([])
        expect(r.incoming).toHaveLength(1)
    })

    test("a talking incoming call: on-hook hangs up, nothing recorded as outgoing", () => {
        const r = new Rig("8001", portPolicy(HQ, "8001"))
        r.incomingCall("02584001234", "", T0)
        r.offHook(T0 + 2000)
        r.keys("8000#", T0 + 3000) // DTMF during the call, not a new call
        expect(r.of("dial")).toEqual([])
        r.onHook(T0 + 60000)
        expect(r.since(T0 + 2001)).toEqual([
            ev(T0 + 60000, "hangUp"),
            tone(T0 + 60000, TONE_OFF),
        ])
        expect(r.outgoing).toEqual([])
        expect(r.state).toBe("idle")
    })

    test("a talking incoming call: the caller hangs up, busy tone until on-hook", () => {
        const r = new Rig("8001", portPolicy(HQ, "8001"))
        r.incomingCall("02584001234", "", T0)
        r.offHook(T0 + 2000)
        r.remoteHungUp(T0 + 30000)
        expect(r.state).toBe("waitOnHook")
        expect(r.since(T0 + 2001)).toEqual([tone(T0 + 30000, TONE_BUSY)])
        r.onHook(T0 + 31000)
        expect(r.state).toBe("idle")
        expect(r.of("hangUp")).toEqual([])
        expect(r.outgoing).toEqual([])
        expect(r.incoming.map(i => i.outcome)).toEqual(["onTime"])
    })

    test("on-hook while ringing is a no-op (the handset is already down)", () => {
        const r = new Rig("8001", portPolicy(HQ, "8001"))
        r.incomingCall("02584001234", "", T0)
        r.onHook(T0 + 100)
        expect(r.state).toBe("ringing")
        expect(r.signals()).toEqual([ring(T0, true)])
    })

    test("receive-only front desk 8000 rings and answers", () => {
        const r = new Rig("8000", portPolicy(HQ, "8000"))
        r.incomingCall("02584001234", "", T0)
        r.runTo(T0 + 6000)
        r.offHook(T0 + 7000)
        expect(r.signals()).toEqual([
            ring(T0, true),
            ring(T0 + 1000, false),
            ring(T0 + 5000, true),
            ring(T0 + 6000, false),
            ev(T0 + 7000, "answer"),
        ])
        expect(r.incoming).toEqual([
            { at: T0 + 7000, ext: "8000", outcome: "onTime" },
        ])
        expect(r.state).toBe("talking")
    })
})

describe("incoming calls: forwarding and giving up", () => {
    const T0 = 12345

    test("unanswered: redirected to the whole rest of the chain, in order, exactly after ringsBeforeForward rings", () => {
        const chain = chains({ "8001": ["8000", "8101"] })
        const r = new Rig("8001", portPolicy(HQ, "8001", chain))
        r.incomingCall("02584001234", "", T0)
        r.runTo(T0 + 14950)
        expect(r.of("redirect")).toEqual([])
        expect(r.state).toBe("ringing")
        r.runTo(T0 + 15000)
        // the line rings the first that can ring: a busy 8000 is skipped
        expect(r.since(T0 + 11001)).toEqual([
            ev(T0 + 15000, "redirect", "8000 8101"),
        ])
        expect(r.incoming).toEqual([
            { at: T0 + 15000, ext: "8001", outcome: "forwarded" },
        ])
        // the call goes on: its end is counted where it ends
        expect(r.ended).toEqual([])
        expect(r.state).toBe("idle")
        expect(r.of("hangUp")).toEqual([])
        expect(r.logs()).toContain(
            "8001 unanswered after 3 rings: forward to 8000 8101"
        )
        expect(chain).toHaveBeenCalledTimes(1)
        expect(chain).toHaveBeenCalledWith("8001")
        // the call has left the port: no more bells, records or redirects
        r.runTo(T0 + 90000, 500)
        expect(r.since(T0 + 15001)).toEqual([])
        expect(r.incoming).toHaveLength(1)
    })

    test("the forward deadline follows the policy's ringsBeforeForward (2 rings)", () => {
        const two = hq({ ringsBeforeForward: 2 })
        const r = new Rig(
            "8001",
            portPolicy(two, "8001", chains({ "8001": ["8101"] }))
        )
        r.incomingCall("02584001234", "", T0)
        r.runTo(T0 + 9950)
        expect(r.of("redirect")).toEqual([])
        r.runTo(T0 + 10000)
        expect(r.of("redirect")).toEqual([ev(T0 + 10000, "redirect", "8101")])
        expect(r.rings().map(e => e.at - T0)).toEqual([0, 1000, 5000, 6000])
    })

    test("redirect while the bell sounds turns it off first (1 ring, coarse ticks)", () => {
        const one = hq({ ringsBeforeForward: 1 })
        const r = new Rig(
            "8001",
            portPolicy(one, "8001", chains({ "8001": ["8000"] }))
        )
        r.incomingCall("02584001234", "", 0)
        r.tick(500) // bell on, and no tick saw it go off
        r.tick(5200) // first tick after ring 1: forward
        expect(r.signals()).toEqual([
            ring(0, true),
            ring(5200, false),
            ev(5200, "redirect", "8000"),
        ])
    })

    test("with the real forwarding chain, 8001's call goes to sales, then the front desk 8000 in its own department", () => {
        const r = new Rig(
            "8001",
            portPolicy(HQ, "8001", ext => forwardChain(HQ.policy, ext))
        )
        r.incomingCall("02584001234", "", T0)
        r.runTo(T0 + 15000)
        expect(r.of("redirect")).toEqual([
            ev(T0 + 15000, "redirect", "8101 8000"),
        ])
    })

    test("a diverted call offers the hops after this port, also when an earlier one was skipped", () => {
        const chain = chains({ "8001": ["8101", "8201", "8301", "8000"] })
        // 8101 was busy: the call rang at 8201 first
        const r = new Rig("8201", portPolicy(HQ, "8001", chain))
        r.incomingCall("02584001234", "8001", T0)
        r.runTo(T0 + 15000)
        expect(r.of("redirect")).toEqual([
            ev(T0 + 15000, "redirect", "8301 8000"),
        ])
    })

    test("never forwarded to its own caller: an internal caller is left out of the hops", () => {
        const chain = chains({ "8001": ["8101", "8000", "8201"] })
        const r = new Rig("8001", portPolicy(HQ, "8001", chain))
        r.incomingCall("8000", "", T0)
        r.runTo(T0 + 15000)
        expect(r.of("redirect")).toEqual([
            ev(T0 + 15000, "redirect", "8101 8201"),
        ])
    })

    test("the caller is the only hop left: the port keeps the call, ringing until it is answered", () => {
        const chain = chains({ "8001": ["8101", "8000"] })
        const r = new Rig("8101", portPolicy(HQ, "8001", chain))
        r.incomingCall("8000", "8001", T0)
        r.runTo(T0 + 120000, 100)
        expect(r.of("redirect")).toEqual([])
        expect(r.of("hangUp")).toEqual([])
        expect(r.state).toBe("ringing")
        r.offHook(T0 + 120000)
        expect(r.state).toBe("talking")
        expect(r.incoming.map(i => i.outcome)).toEqual(["late"])
    })

    test("a diverted call continues the original's chain, never back to the first extension", () => {
        const chain = chains({
            "8001": ["8101", "8000"],
            // 8101's own chain would send the call back to 8001
            "8101": ["8001", "8000"],
        })
        const r = new Rig("8101", portPolicy(HQ, "8101", chain))
        r.incomingCall("02584001234", "8001", T0)
        expect(r.logs()).toContain("8101 incoming from 02584001234 (for 8001)")
        r.runTo(T0 + 15000)
        expect(r.of("redirect")).toEqual([ev(T0 + 15000, "redirect", "8000")])
        expect(chain.mock.calls).toEqual([["8001"]])
        expect(r.incoming).toEqual([
            { at: T0 + 15000, ext: "8101", outcome: "forwarded" },
        ])
    })

    test("the last hop keeps ringing until the caller gives up: missed", () => {
        const chain = chains({ "8001": ["8101", "8000"] })
        const r = new Rig("8000", portPolicy(HQ, "8000", chain))
        r.incomingCall("02584001234", "8001", T0, 2)
        r.runTo(T0 + 90500)
        expect(r.of("redirect")).toEqual([])
        expect(r.of("hangUp")).toEqual([])
        const rings = r.rings().filter(e => e.arg)
        expect(rings).toHaveLength(19) // 0 s, 5 s, ... 90 s: no give-up
        expect(rings[6].at - T0).toBe(30000)
        r.remoteHungUp(T0 + 90500) // bell on: it stops
        expect(r.since(T0 + 90500)).toEqual([ring(T0 + 90500, false)])
        expect(r.incoming).toEqual([
            { at: T0 + 90500, ext: "8000", outcome: "missed" },
        ])
        expect(r.ended).toEqual([
            { at: T0 + 90500, ext: "8000", outcome: "missed" },
        ])
        expect(r.logs()).toContain("8000 missed call")
        expect(r.state).toBe("idle")
        expect(r.of("hangUp")).toEqual([])
        r.runTo(T0 + 100000)
        expect(r.since(T0 + 90501)).toEqual([])
    })

    test("caller gives up while the bell is off: no extra ring(false)", () => {
        const r = new Rig("8001", portPolicy(HQ, "8001"))
        r.incomingCall("02584001234", "", T0)
        r.runTo(T0 + 3000)
        r.remoteHungUp(T0 + 3000)
        expect(r.signals()).toEqual([ring(T0, true), ring(T0 + 1000, false)])
        expect(r.incoming.map(i => i.outcome)).toEqual(["missed"])
    })

    test("nobody to forward to: it rings until the caller gives up, however long", () => {
        const r = new Rig("8001", portPolicy(HQ, "8001", chains()))
        r.incomingCall("02584001234", "", T0)
        // 30 rings, far past the 12 after which it used to hang up
        r.runTo(T0 + 150000 - 50, 100)
        expect(r.state).toBe("ringing")
        expect(r.of("hangUp")).toEqual([])
        expect(r.incoming).toEqual([])
        expect(r.rings().filter(e => e.arg)).toHaveLength(30)
        r.remoteHungUp(T0 + 150000)
        expect(r.incoming).toEqual([
            { at: T0 + 150000, ext: "8001", outcome: "missed" },
        ])
        expect(r.ended).toEqual([
            { at: T0 + 150000, ext: "8001", outcome: "missed" },
        ])
        expect(r.of("hangUp")).toEqual([])
        expect(r.state).toBe("idle")
    })

    test("a forward target is used however many rings the policy asks for (15)", () => {
        const slow = hq({ ringsBeforeForward: 15 })
        const r = new Rig(
            "8001",
            portPolicy(slow, "8001", chains({ "8001": ["8000"] }))
        )
        r.incomingCall("02584001234", "", T0)
        r.runTo(T0 + 75000, 100)
        expect(r.of("hangUp")).toEqual([])
        expect(r.of("redirect")).toEqual([ev(T0 + 75000, "redirect", "8000")])
        expect(r.incoming.map(i => i.outcome)).toEqual(["forwarded"])
    })

    test("after a forward or a give-up the port takes the next call or dials", () => {
        const r = new Rig(
            "8001",
            portPolicy(HQ, "8001", chains({ "8001": ["8000"] }))
        )
        r.incomingCall("02584001234", "", 0)
        r.runTo(15000)
        r.incomingCall("02584009999", "", 20000)
        expect(r.state).toBe("ringing")
        expect(r.since(20000)).toEqual([ring(20000, true)])
        r.offHook(21000)
        expect(r.incoming.map(i => i.outcome)).toEqual(["forwarded", "onTime"])
        r.onHook(22000)
        r.offHook(23000)
        expect(r.since(23000)).toEqual([tone(23000, TONE_DIAL)])
    })

    test("an incoming call while the port is in use is ignored", () => {
        const busyStates: [string, (r: Rig) => void][] = [
            ["dialling", r => (r.offHook(0), r.keys("01", 100))],
            ["calling", r => (r.offHook(0), r.keys(BEIJING, 100))],
            [
                "connected",
                r => (
                    r.offHook(0),
                    r.keys(BEIJING, 100),
                    r.remoteAnswered(3000)
                ),
            ],
            ["waitOnHook", r => (r.offHook(0), r.keys("16812345", 100))],
            ["talking", r => (r.incomingCall("8101", "", 0), r.offHook(100))],
            ["ringing", r => r.incomingCall("8101", "", 0)],
        ]
        for (const [state, setUp] of busyStates) {
            const chain = chains({ "8001": ["8000"] })
            const r = new Rig("8001", portPolicy(HQ, "8001", chain))
            setUp(r)
            expect(r.state).toBe(state)
            const before = r.events.length
            const calls = chain.mock.calls.length
            const rec = r.incoming.length
            r.incomingCall("02584001234", "", 4000)
            expect(r.state, state).toBe(state)
            expect(r.events.slice(before), state).toEqual([])
            expect(chain.mock.calls.length, state).toBe(calls)
            expect(r.incoming.length, state).toBe(rec)
        }
    })

    test("a second call while ringing does not restart the ring count", () => {
        const r = new Rig(
            "8001",
            portPolicy(HQ, "8001", chains({ "8001": ["8000"] }))
        )
        r.incomingCall("02584001234", "", T0)
        r.runTo(T0 + 9000)
        r.incomingCall("02584005678", "", T0 + 9000)
        r.runTo(T0 + 15000)
        expect(r.of("redirect")).toEqual([ev(T0 + 15000, "redirect", "8000")])
    })
})

describe("incoming calls: rings counted from the caller's first ring (rule (一)8 per call)", () => {
    const T0 = 4321

    test("a direct call: the caller's rings are the port's", () => {
        const r = new Rig("8001", portPolicy(HQ, "8001"))
        r.incomingCall("02584001234", "", T0)
        r.offHook(T0 + 14999) // ring 3
        expect(r.incoming.map(i => i.outcome)).toEqual(["onTime"])
        expect(r.ended).toEqual([
            { at: T0 + 14999, ext: "8001", outcome: "onTime" },
        ])
        const late = new Rig("8001", portPolicy(HQ, "8001"))
        late.incomingCall("02584001234", "", T0)
        late.runTo(T0 + 15000)
        late.offHook(T0 + 15000) // ring 4
        expect(late.ended.map(e => e.outcome)).toEqual(["late"])
    })

    test("3 rings at 8001, answered on the 1st at 8101: on time for 8101, late for the caller (4 rings)", () => {
        const r = new Rig("8101", portPolicy(HQ, "8101"))
        r.incomingCall("02584001234", "8001", T0, 1)
        r.offHook(T0 + 2000)
        expect(r.incoming).toEqual([
            { at: T0 + 2000, ext: "8101", outcome: "onTime" },
        ])
        expect(r.ended).toEqual([
            { at: T0 + 2000, ext: "8101", outcome: "late" },
        ])
        expect(r.logs()).toContain(
            "8101 answered on ring 1 (the caller's ring 4)"
        )
    })

    test("each diversion cost the caller ringsBeforeForward rings", () => {
        // one ring per hop: two hops before, answered on the first ring here = the caller's 3rd
        const one = hq({ ringsBeforeForward: 1 })
        const r = new Rig("8101", portPolicy(one, "8101"))
        r.incomingCall("02584001234", "8001", T0, 2)
        r.offHook(T0 + 100)
        expect(r.ended.map(e => e.outcome)).toEqual(["onTime"])
        const r2 = new Rig("8101", portPolicy(one, "8101"))
        r2.incomingCall("02584001234", "8001", T0, 2)
        r2.runTo(T0 + 5000)
        r2.offHook(T0 + 5000) // ring 2 here, the caller's 4th
        expect(r2.incoming.map(i => i.outcome)).toEqual(["onTime"])
        expect(r2.ended.map(e => e.outcome)).toEqual(["late"])
    })

    test("diverted without ringing first (0 diversions counted): the rings start here", () => {
        const r = new Rig("8101", portPolicy(HQ, "8101"))
        r.incomingCall("02584001234", "8001", T0, 0)
        r.offHook(T0 + 2000)
        expect(r.ended.map(e => e.outcome)).toEqual(["onTime"])
        expect(r.logs()).toContain("8101 answered on ring 1")
    })

    test("the caller gives up at a later hop: missed, once, where it ended", () => {
        const chain = chains({ "8001": ["8101", "8000"] })
        const r = new Rig("8101", portPolicy(HQ, "8101", chain))
        r.incomingCall("02584001234", "8001", T0, 1)
        r.runTo(T0 + 7000)
        r.remoteHungUp(T0 + 7000)
        expect(r.incoming.map(i => i.outcome)).toEqual(["missed"])
        expect(r.ended).toEqual([
            { at: T0 + 7000, ext: "8101", outcome: "missed" },
        ])
    })

    test("the next call starts from its own count", () => {
        const r = new Rig("8101", portPolicy(HQ, "8101"))
        r.incomingCall("02584001234", "8001", T0, 3)
        r.offHook(T0 + 1000)
        r.onHook(T0 + 9000)
        r.incomingCall("02584001234", "", T0 + 10000)
        r.offHook(T0 + 11000)
        expect(r.ended.map(e => e.outcome)).toEqual(["late", "onTime"])
    })
})

// ------------------------------------------------------------ policy change

describe("setPolicy", () => {
    test("mid-call: the connected call keeps its decision, the next call uses the new policy", () => {
        const r = callBeijing()
        r.remoteAnswered(5000)
        const suspended = hq({}, { "8001": { suspended: true } })
        r.setPolicy(portPolicy(suspended, "8001"), 10000)
        expect(r.state).toBe("connected")
        expect(r.since(5001)).toEqual([])
        r.onHook(100000)
        expect(r.outgoing).toEqual([
            {
                at: 100000,
                ext: "8001",
                category: "domestic",
                number: BEIJING_VIA_IP,
                seconds: 95,
            },
        ])
        r.offHook(110000)
        r.keys(BEIJING, 111000)
        expect(r.of("dial")).toHaveLength(1)
        expect(r.blocked.map(b => [b.at, b.decision.code])).toEqual([
            [113000, "suspended"],
        ])
    })

    test("mid-dial: the number being dialled is finished under the old policy", () => {
        const r = new Rig("8001", portPolicy(HQ, "8001"))
        r.offHook(0)
        r.keys("010623", 1000) // last at 2000
        const other = hq(
            { ipPrefix: "17951" },
            { "8001": { allow: "internal" } }
        )
        r.setPolicy(portPolicy(other, "8001"), 2100)
        r.keys("45678", 2200) // last at 3000
        expect(r.signals()).toEqual([
            tone(0, TONE_DIAL),
            tone(1000, TONE_OFF),
            dial(3000, BEIJING_VIA_IP),
            tone(3000, TONE_RINGBACK),
        ])
        expect(r.blocked).toEqual([])
        r.onHook(4000)
        // the next call: internal only now
        r.offHook(5000)
        r.keys(BEIJING, 6000)
        expect(r.of("dial")).toHaveLength(1)
        expect(r.blocked.map(b => [b.at, b.decision.code])).toEqual([
            [8000, "class"],
        ])
    })

    test("mid-dial: timers of the old policy keep running for the current number", () => {
        const r = new Rig("8001", portPolicy(HQ, "8001"))
        r.offHook(0)
        const last = r.keys("8000", 1000)
        const quick = hq({
            timers: { firstDigitMs: 5000, interDigitMs: 5000, shortMs: 1000 },
        })
        r.setPolicy(portPolicy(quick, "8001"), last + 10)
        r.runTo(last + 3000)
        expect(r.of("dial")).toEqual([dial(last + 3000, "8000")])
        // the next call uses the new first-digit timer
        r.onHook(10000)
        r.offHook(20000)
        r.runTo(25000)
        expect(r.since(20000)).toEqual([
            tone(20000, TONE_DIAL),
            tone(25000, TONE_WARNING),
        ])
    })

    test("an IP prefix change applies from the next call", () => {
        const r = new Rig("8001", portPolicy(HQ, "8001"))
        r.offHook(0)
        r.keys(BEIJING, 1000)
        r.setPolicy(portPolicy(hq({ ipPrefix: "17951" }), "8001"), 3500)
        r.onHook(4000)
        r.offHook(5000)
        r.keys(BEIJING, 6000)
        expect(r.of("dial").map(e => e.arg)).toEqual([
            BEIJING_VIA_IP,
            "1795101062345678",
        ])
    })

    test("mid-ring: the ringing call keeps its forward target and ring count", () => {
        const T0 = 1000
        const r = new Rig(
            "8001",
            portPolicy(HQ, "8001", chains({ "8001": ["8000"] }))
        )
        r.incomingCall("02584001234", "", T0)
        r.runTo(T0 + 7000)
        const newChain = chains({ "8001": ["8101"] })
        r.setPolicy(
            portPolicy(hq({ ringsBeforeForward: 1 }), "8001", newChain),
            T0 + 7000
        )
        r.runTo(T0 + 14950)
        expect(r.of("redirect")).toEqual([])
        expect(r.state).toBe("ringing")
        r.runTo(T0 + 15000)
        expect(r.of("redirect")).toEqual([ev(T0 + 15000, "redirect", "8000")])
        expect(newChain).not.toHaveBeenCalled()
        // the next call: one ring, then the new chain
        const T1 = 30000
        r.incomingCall("02584001234", "", T1)
        r.runTo(T1 + 5000)
        expect(r.of("redirect")).toEqual([
            ev(T0 + 15000, "redirect", "8000"),
            ev(T1 + 5000, "redirect", "8101"),
        ])
        expect(newChain.mock.calls).toEqual([["8001"]])
    })
})
