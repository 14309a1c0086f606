import { describe, expect, test } from "vitest"
import {
    MAX_FORWARD_HOPS,
    departmentsByDistance,
    forwardChain,
    frontDesk,
} from "../devs/phone/forwarding"
import { Department, Handset, Policy } from "../devs/policy/types"

function dept(id: string, floor: number, x: number, y = 0): Department {
    return { id, name: id, floor, x, y }
}

function phone(
    extension: string,
    department: string,
    more: Partial<Handset> = {}
): Handset {
    return {
        extension,
        department,
        allow: "internal",
        receiveOnly: false,
        suspended: false,
        name: "",
        ...more,
    }
}

function policy(departments: Department[], handsets: Handset[]): Policy {
    return {
        version: 1,
        site: {
            name: "test",
            areaCode: "025",
            ipPrefix: "",
            emergency: ["110", "119", "120"],
            premiumPrefixes: [],
            outsideLinePrefix: "",
            ringsBeforeForward: 3,
            blocked: [],
            allowed: [],
            timers: { firstDigitMs: 10000, interDigitMs: 5000, shortMs: 2000 },
        },
        departments,
        handsets,
    }
}

// Floor 1: ops at the origin, hr and legal 10 m away (same spot), sales 30 m,
// the lobby 100 m. it is right above ops, fin two floors up, the basement
// (floor -1) two floors down.
const OFFICE = policy(
    [
        dept("ops", 1, 0),
        dept("sales", 1, 30),
        dept("hr", 1, 10),
        dept("it", 2, 0),
        dept("fin", 3, 0),
        dept("lobby", 1, 100),
        dept("base", -1, 0),
        dept("legal", 1, 10),
    ],
    [
        phone("8000", "ops", { name: "张三" }),
        phone("8001", "ops", { suspended: true }),
        phone("8002", "ops"),
        phone("8100", "sales", { suspended: true }),
        phone("8101", "sales", { receiveOnly: true }),
        phone("8200", "hr"),
        phone("8201", "hr"),
        phone("8300", "it"),
        phone("8400", "fin", { suspended: true }),
        phone("8900", "lobby", { receiveOnly: true, name: "宣传" }),
        phone("8500", "lobby", { receiveOnly: true, name: "一楼前台" }),
        phone("8600", "base"),
        phone("8700", "legal"),
    ]
)

describe("departmentsByDistance", () => {
    test("same floor first, then fewest floors, then planar distance, ties in policy order", () => {
        const from = OFFICE.departments[0]
        expect(departmentsByDistance(OFFICE, from).map(d => d.id)).toEqual([
            "hr", // 10 m
            "legal", // 10 m, after hr in the policy
            "sales", // 30 m
            "lobby", // 100 m: still before any other floor
            "it", // one floor
            "fin", // two floors up, before base in the policy
            "base", // two floors down
        ])
    })

    test("uses both coordinates", () => {
        const p = policy(
            [
                dept("a", 1, 0, 0),
                dept("b", 1, 3, 4),
                dept("c", 1, 0, 4.5),
                dept("d", 1, 5, 0),
            ],
            []
        )
        // distances 5, 4.5, 5: c first, then b and d tied in policy order
        expect(
            departmentsByDistance(p, p.departments[0]).map(d => d.id)
        ).toEqual(["c", "b", "d"])
    })
})

describe("forwardChain", () => {
    test("colleague first, one handset per department nearest first, front desk last", () => {
        expect(forwardChain(OFFICE, "8000")).toEqual([
            "8002", // ops colleague (8001 is suspended)
            "8200", // hr: first handset only
            "8700", // legal
            "8101", // sales: receive-only handsets can answer, 8100 is suspended
            "8900", // lobby's first handset
            "8300", // it, one floor up
            "8600", // base (fin has only a suspended phone)
            "8500", // the front desk closes the chain
        ])
    })

    test("from upstairs the floor difference outweighs planar distance", () => {
        // it (floor 2) has no colleague; ops is straight below
        expect(forwardChain(OFFICE, "8300")).toEqual([
            "8000",
            "8200",
            "8700",
            "8101",
            "8900",
            "8600", // base is 3 floors away
            "8500",
        ])
    })

    test("the front desk is the last hop even when its department is the nearest", () => {
        // the lobby (front desk first in it) is right next door; upstairs is
        // the farthest department
        const p = policy(
            [
                dept("home", 1, 0),
                dept("lobby", 1, 5),
                dept("far", 1, 50),
                dept("up", 2, 0),
            ],
            [
                phone("100", "home"),
                phone("900", "lobby", { receiveOnly: true, name: "前台" }),
                phone("901", "lobby"),
                phone("300", "far"),
                phone("400", "up"),
            ]
        )
        // the lobby's hop is its next handset; the desk closes the chain
        expect(forwardChain(p, "100")).toEqual(["901", "300", "400", "900"])
        // the desk in the ringing handset's own department is not the colleague hop
        expect(forwardChain(p, "901")).toEqual(["100", "300", "400", "900"])
        // a department with nobody but the desk gives no hop of its own
        const alone = policy(p.departments, [
            phone("100", "home"),
            phone("900", "lobby", { receiveOnly: true, name: "前台" }),
            phone("300", "far"),
        ])
        expect(forwardChain(alone, "100")).toEqual(["300", "900"])
    })

    test("a call at the front desk stays there: no chain", () => {
        expect(forwardChain(OFFICE, "8500")).toEqual([])
        // also when the desk is a receive-only handset without the name
        const p = policy(
            [dept("a", 1, 0), dept("b", 1, 5)],
            [phone("1", "a", { receiveOnly: true }), phone("2", "b")]
        )
        expect(forwardChain(p, "1")).toEqual([])
        expect(forwardChain(p, "2")).toEqual(["1"])
    })

    test("capped at MAX_FORWARD_HOPS, still ending at the front desk", () => {
        const depts: Department[] = [dept("home", 1, 0), dept("desk", 1, 1000)]
        const phones: Handset[] = [
            phone("100", "home"),
            phone("999", "desk", { receiveOnly: true, name: "前台" }),
        ]
        for (let i = 1; i <= 20; ++i) {
            depts.push(dept("d" + i, 1, i))
            phones.push(phone("" + (100 + i), "d" + i))
        }
        const chain = forwardChain(policy(depts, phones), "100")
        expect(chain.length).toBe(MAX_FORWARD_HOPS)
        expect(chain).toEqual([
            "101",
            "102",
            "103",
            "104",
            "105",
            "106",
            "107",
            "999",
        ])
    })

    test("no receive-only handset: no front desk hop", () => {
        const p = policy(
            [dept("a", 1, 0), dept("b", 1, 5)],
            [phone("1", "a"), phone("2", "a"), phone("3", "a"), phone("4", "b")]
        )
        // only one colleague of the own department
        expect(forwardChain(p, "1")).toEqual(["2", "4"])
    })

    test("unknown extension or department off the floor plan", () => {
        expect(forwardChain(OFFICE, "7777")).toEqual(["8500"])
        const p = policy(OFFICE.departments, [
            phone("1", "nowhere"),
            phone("2", "nowhere"),
            ...OFFICE.handsets,
        ])
        expect(forwardChain(p, "1")).toEqual(["2", "8500"])
    })

    test("every chain of random offices is well formed", () => {
        let seed = 7
        const rand = (n: number) => {
            seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
            return (seed >>> 8) % n
        }
        for (let round = 0; round < 200; ++round) {
            const depts: Department[] = []
            const phones: Handset[] = []
            const nd = 1 + rand(12)
            for (let d = 0; d < nd; ++d)
                depts.push(dept("d" + d, rand(4), rand(50), rand(50)))
            const nh = rand(30)
            for (let h = 0; h < nh; ++h)
                phones.push(
                    phone("" + (1000 + h), "d" + rand(nd), {
                        receiveOnly: rand(6) === 0,
                        suspended: rand(5) === 0,
                        name: rand(8) === 0 ? "前台" : "",
                    })
                )
            const p = policy(depts, phones)
            for (const h of phones) {
                const chain = forwardChain(p, h.extension)
                expect(chain.length).toBeLessThanOrEqual(MAX_FORWARD_HOPS)
                expect(chain).not.toContain(h.extension)
                expect(new Set(chain).size).toBe(chain.length)
                const desk = frontDesk(p)?.extension
                // the desk is the last hop of every chain; its own is empty
                if (h.extension === desk) expect(chain).toEqual([])
                else if (desk) expect(chain[chain.length - 1]).toBe(desk)
                const perDept: Record<string, number> = {}
                for (const ext of chain) {
                    const target = phones.find(x => x.extension === ext)!
                    expect(target.suspended).toBe(false)
                    if (ext !== desk)
                        perDept[target.department] =
                            (perDept[target.department] ?? 0) + 1
                }
                for (const n of Object.values(perDept)) expect(n).toBe(1)
                expect(forwardChain(p, h.extension)).toEqual(chain)
            }
        }
    })
})
