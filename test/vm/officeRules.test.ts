// Issue 12 in the DeviceScript VM: the board's guard, the code HMAC with
// @devicescript/crypto against a vector computed in Node, the port's code
// entry, lockout, hours, call length and private prefix.
import * as ds from "@devicescript/core"
import { hmac } from "@devicescript/crypto"
import { describe, expect, test } from "@devicescript/test"
import { PlanCompiler } from "../../devs/engine/dialPlan"
import { DialPlan } from "../../devs/engine/types"
import { HandsetPort, PortPolicy } from "../../devs/phone/handsetPort"
import { hoursAt } from "../../devs/policy/officeRules"
import { Policy } from "../../devs/policy/types"
import { validatePolicy } from "../../devs/policy/validate"

const KEY = Buffer.from(
    "1111111111111111111111111111111111111111111111111111111111111111",
    "hex"
)
/** HMAC-SHA256 of "482916" with KEY, from Node's crypto. */
const CODE_MAC =
    "69b72c98135223e1814555639eeba2b1e3e5aeeffa940e4823572fbab36ed77d"

const raw = {
    version: 1,
    site: {
        name: "HQ",
        areaCode: "025",
        ipPrefix: "17909",
        hours: { from: "08:00", to: "18:00", outside: "refuse" },
        callWarningSeconds: { local: 300 },
        callLimitSeconds: { local: 600 },
        privatePrefix: "*9",
    },
    departments: [{ id: "a", name: "", floor: 1, x: 0, y: 0 }],
    handsets: [{ extension: "8001", department: "a", allow: "local" }],
    authCodes: [{ owner: "王经理", allow: "domestic", hmac: CODE_MAC }],
}

let policy: Policy
let plan: DialPlan
let unix = 0
let tones: number[] = []
let dialled: string[] = []
let rules: string[] = []
let hungUp = 0

function port(): HandsetPort {
    tones = []
    dialled = []
    rules = []
    hungUp = 0
    const p = new HandsetPort(
        "8001",
        {
            tone: t => {
                tones.push(t)
            },
            ring: () => {},
            dial: n => {
                dialled.push(n)
            },
            answer: () => {},
            hangUp: () => {
                hungUp++
            },
            redirect: () => {},
            log: () => {},
        },
        {
            outgoing: () => {},
            blocked: () => {},
            incoming: () => {},
            callEnded: () => {},
            rule: (e, what) => {
                rules.push(what)
            },
        },
        { onMs: 1000, cycleMs: 5000 },
        10
    )
    const codes = policy.authCodes
    const hours = policy.site.hours
    const pp: PortPolicy = {
        plan,
        handset: plan.handsets[0],
        ringsBeforeForward: 3,
        forwardChain: () => [],
        site: policy.site,
        checkCode: (code: string) => {
            const mac = hmac(KEY, "sha256", code).toString("hex")
            return codes.find(c => c.hmac === mac)
        },
        hoursAt: (now: number) => hoursAt(hours, unix),
    }
    p.setPolicy(pp)
    return p
}

function keys(p: HandsetPort, s: string, t: number): number {
    for (let i = 0; i < s.length; ++i) p.key(s.charAt(i), (t += 100))
    return t
}

const last = () => tones[tones.length - 1]

describe("office rules in the VM", () => {
    test("the board's guard takes the rules; a malformed one is refused", async () => {
        const v = validatePolicy(raw)
        expect(v.errors.length).toBe(0)
        policy = v.policy
        expect(policy.site.hours.days.length).toBe(5)
        expect(policy.site.hours.outside).toBe("refuse")
        const c = new PlanCompiler(policy)
        while (!c.step()) await ds.sleep(0)
        plan = c.result()
        const bad = validatePolicy({
            version: 1,
            site: { name: "x", areaCode: "025", hours: { days: 5 } },
            departments: [],
            handsets: [],
        })
        expect(bad.errors.length).toBe(1)
    })
    test("hours: Tuesday 10:00 in, 19:00 out, unknown before the clock", () => {
        const h = policy.site.hours
        // 2026-12-01 10:00 and 19:00 Beijing
        expect(hoursAt(h, 1764554400)).toBe("in")
        expect(hoursAt(h, 1764586800)).toBe("out")
        expect(hoursAt(h, 0)).toBe("unknown")
    })
    test("a code (HMAC by @devicescript/crypto) lifts local to domestic", () => {
        unix = 1764554400
        const p = port()
        p.offHook(0)
        let t = keys(p, "01062345678", 0)
        expect(p.state).toBe("code")
        expect(last()).toBe(7) // Prompt
        t = keys(p, "482916#", t)
        expect(dialled[0]).toBe("1790901062345678")
        expect(rules[0]).toBe("codeCalls")
    })
    test("five wrong codes lock code entry", () => {
        const p = port()
        let t = 0
        for (let i = 0; i < 5; ++i) {
            p.offHook(t)
            t = keys(p, "01062345678", t)
            t = keys(p, "1234#", t)
            expect(last()).toBe(4) // Unobtainable
            p.onHook((t += 100))
        }
        expect(rules.filter(r => r === "codeLockouts").length).toBe(1)
        p.offHook(t)
        t = keys(p, "01062345678", t)
        expect(p.state).toBe("waitOnHook")
    })
    test("outside hours refused; private prefix; warning then the limit", () => {
        unix = 1764586800
        let p = port()
        p.offHook(0)
        keys(p, "52345678", 0)
        expect(rules[0]).toBe("hoursRefused")
        unix = 1764554400
        p = port()
        p.offHook(0)
        const t = keys(p, "*952345678", 0)
        expect(dialled[0]).toBe("52345678")
        p.remoteAnswered(t)
        p.tick(t + 3000) // 300 s at 10 ms a second
        expect(last()).toBe(8) // CallWarning
        p.tick(t + 6000)
        expect(hungUp).toBe(1)
        expect(rules.join(",")).toBe("warned,cut")
    })
})
