// The same engine modules the host tests use, run in the DeviceScript VM on
// a representative case set: proof that the policy logic runs on the device.
import * as ds from "@devicescript/core"
import { describe, expect, test } from "@devicescript/test"
import { PlanCompiler } from "../../devs/engine/dialPlan"
import { DialPlan } from "../../devs/engine/types"
import { decideDigits, DialSession } from "../../devs/engine/dialSession"
import { validatePolicy } from "../../devs/policy/validate"
import { Handset } from "../../devs/policy/types"

const raw: any = {
    version: 3,
    site: { name: "HQ", areaCode: "025", ipPrefix: "17909" },
    departments: [
        { id: "admin", name: "人事行政部", floor: 3, x: 10, y: 4 },
        { id: "sales", name: "销售部", floor: 3, x: 40, y: 4 },
    ],
    handsets: [
        {
            extension: "8000",
            department: "admin",
            allow: "internal",
            receiveOnly: true,
            name: "前台",
        },
        { extension: "8001", department: "admin", allow: "domestic" },
        { extension: "8101", department: "sales", allow: "international" },
        {
            extension: "8102",
            department: "sales",
            allow: "local",
            suspended: true,
        },
    ],
}

const v = validatePolicy(raw)
let plan: DialPlan

function handset(ext: string): Handset {
    for (const h of plan.handsets) if (h.extension === ext) return h
    return undefined
}

// extension, digits, action, category, dial (or block code), decidedOn
const CASES = [
    "8001 01062345678 dial domestic 1790901062345678 digit",
    "8001 1790901062345678 dial domestic 1790901062345678 digit",
    "8001 16812345 block premium premium digit",
    "8101 16812345 block premium premium digit",
    "8001 16612345678 dial mobile 16612345678 digit",
    "8001 02584001234 dial local 02584001234 digit",
    "8001 84001234 dial local 84001234 digit",
    "8001 0085223456789 block international class digit",
    "8101 0085223456789 dial international 179090085223456789 digit",
    "8000 110 dial emergency 110 digit",
    "8102 120 dial emergency 120 digit",
    "8102 8001 block internal suspended timeout",
    "8000 8001 dial internal 8001 timeout",
    "8000 84001234 block local receiveOnly digit",
    "8001 104 block invalid invalid digit",
    "8001 0101 block invalid invalid timeout",
    "8001 8001# dial internal 8001 digit",
    "8001 17909110 dial emergency 110 digit",
    "8101 008616812345 block premium premium digit",
    "8001 008613812345678 dial mobile 13812345678 digit",
    "8001 00862584001234 dial local 02584001234 digit",
    "8001 00861062345678 dial domestic 1790901062345678 digit",
    "8101 00442079460018 dial international 1790900442079460018 digit",
    "8101 0085221234567 dial international 179090085221234567 digit",
    "8001 02519876543 block invalid invalid digit",
    "8001 010114 dial domestic 17909010114 digit",
    "8001 12580 dial service 12580 digit",
    "8001 118114 dial service 118114 digit",
]

describe("engine in the VM", () => {
    test("policy validates and compiles in VM-sized steps", async () => {
        expect(v.errors.length).toBe(0)
        const c = new PlanCompiler(v.policy)
        while (!c.step()) await ds.sleep(0)
        plan = c.result()
        expect(plan.handsets.length).toBe(4)
    })
    test("rejects a bad policy with path: reason", () => {
        const bad = validatePolicy({
            version: "3",
            site: { name: "x", areaCode: "0266" },
            departments: [],
            handsets: [],
        })
        expect(bad.policy).toBe(undefined)
        expect(
            bad.errors.indexOf(
                'version: must be a whole number from 1 to 2147483647, not "3"'
            ) >= 0
        ).toBe(true)
    })
    CASES.forEach(c => {
        test(c, async () => {
            await ds.sleep(0) // sync tests share one VM time slice
            const f = c.split(" ")
            const d: any = decideDigits(plan, handset(f[0]), f[1])
            expect(d.action).toBe(f[2])
            expect(d.category).toBe(f[3])
            if (d.action === "dial") expect(d.dial).toBe(f[4])
            else expect(d.code).toBe(f[4])
            expect(d.decidedOn).toBe(f[5])
        })
    })
    test("timers: long until a number matches, short while a longer one is possible", () => {
        const s = new DialSession(plan, handset("8001"))
        expect(s.start().timer).toBe("first")
        expect(s.press("8").timer).toBe("long")
        s.press("0")
        s.press("0")
        const step = s.press("1")
        expect(step.timer).toBe("short")
        expect(step.ms).toBe(3000)
        expect(s.expire().dial).toBe("8001")
    })
})
