// The portable phone modules (forwarding, counters) in the DeviceScript VM:
// the host tests cover the logic, these check that the VM agrees.
import * as ds from "@devicescript/core"
import { describe, expect, test } from "@devicescript/test"
import { CallCounters } from "../../devs/phone/counters"
import { forwardChain } from "../../devs/phone/forwarding"
import { Department, Handset, Policy } from "../../devs/policy/types"

function dept(id: string, floor: number, x: number): Department {
    return { id, name: id, floor, x, y: 0 }
}

function phone(
    extension: string,
    department: string,
    receiveOnly: boolean,
    suspended: boolean,
    name: string
): Handset {
    return {
        extension,
        department,
        allow: "internal",
        receiveOnly,
        suspended,
        name,
    }
}

function office(): Policy {
    return {
        version: 1,
        site: undefined,
        departments: [
            dept("ops", 1, 0),
            dept("sales", 1, 30),
            dept("hr", 1, 10),
            dept("it", 2, 0),
            dept("fin", 3, 0),
            dept("lobby", 1, 100),
            dept("base", -1, 0),
            dept("legal", 1, 10),
        ],
        handsets: [
            phone("8000", "ops", false, false, "张三"),
            phone("8001", "ops", false, true, ""),
            phone("8002", "ops", false, false, ""),
            phone("8100", "sales", false, true, ""),
            phone("8101", "sales", true, false, ""),
            phone("8200", "hr", false, false, ""),
            phone("8201", "hr", false, false, ""),
            phone("8300", "it", false, false, ""),
            phone("8400", "fin", false, true, ""),
            phone("8900", "lobby", true, false, "宣传"),
            phone("8500", "lobby", true, false, "一楼前台"),
            phone("8600", "base", false, false, ""),
            phone("8700", "legal", false, false, ""),
        ],
    }
}

describe("phone modules", () => {
    test("forward chain", async () => {
        await ds.sleep(0)
        const p = office()
        expect(forwardChain(p, "8000").join(",")).toBe(
            "8002,8200,8700,8101,8900,8300,8600,8500"
        )
        expect(forwardChain(p, "8300").join(",")).toBe(
            "8000,8200,8700,8101,8900,8600,8500"
        )
        expect(forwardChain(p, "7777").join(",")).toBe("8500")
        // the front desk keeps its calls
        expect(forwardChain(p, "8500").join(",")).toBe("")
        // and is last even where its department is the nearest
        p.departments.push(dept("desk", 1, 1))
        p.handsets[10].department = "desk"
        expect(forwardChain(p, "8000").join(",")).toBe(
            "8002,8200,8700,8101,8900,8300,8600,8500"
        )
    })

    test("counters and their JSON", async () => {
        await ds.sleep(0)
        const c = new CallCounters()
        c.recordCall("8001", "unknown", "local", 30)
        c.recordCall("8001", "2025-05", "domestic", 125.6)
        c.recordBlocked("8001", "2025-05", "premium")
        c.recordAnswered("8001", "2025-05", 4)
        c.recordIncoming("8002", "2025-06", "missed")
        c.recordCaller("8001", "2025-05", "late")
        expect(c.months("8001").join(",")).toBe("unknown,2025-05")
        const s = c.snapshot("8001", "2025-05")
        expect(s.seconds["domestic"]).toBe(126)
        expect(s.blocked["premium"]).toBe(1)
        expect(s.incoming["late"]).toBe(1)
        expect(s.caller["late"]).toBe(1)
        expect(s.totalCaller).toBe(1)
        // the VM's JSON.stringify ignores toJSON(): call it explicitly
        const json = JSON.stringify(c.toJSON())
        expect(json.indexOf("latest")).toBe(-1)
        const back = CallCounters.fromJSON(JSON.parse(json))
        expect(JSON.stringify(back.toJSON())).toBe(json)
        expect(back.extensions().join(",")).toBe("8001,8002")
        c.recordCall("8001", "2025-07", "local", 1)
        expect(c.months("8001").join(",")).toBe("unknown,2025-07")
        c.dropBefore("2025-07")
        expect(c.months("8001").join(",")).toBe("2025-07")
        expect(c.extensions().join(",")).toBe("8001")
    })
})
