// A board policy (devs/policy/boardPolicy.ts) enforces exactly what the
// whole site policy enforces on that board's ports: same decisions for a
// realistic corpus, same forward chains, and it is a fraction of the size.
import { describe, expect, test } from "vitest"
import { compile, portPolicy } from "../devs/app/policyLoader"
import { decideDigits } from "../devs/engine/dialSession"
import { forwardChain } from "../devs/phone/forwarding"
import { boardPolicyDoc } from "../devs/policy/boardPolicy"
import { validatePolicy } from "../devs/policy/validate"
import { Policy } from "../devs/policy/types"
import { makeCorpus } from "./fixtures/corpus"

const CLASSES = ["internal", "local", "domestic", "international"]
const pause = async () => {}

/** 300 handsets in 6 departments on 3 floors, a front desk, some suspended. */
function site(): Policy {
    const departments = []
    for (let i = 0; i < 6; ++i)
        departments.push({
            id: "d" + i,
            name: "部门" + i,
            floor: 1 + (i % 3),
            x: 10 * i,
            y: i % 2 ? 5 : 30,
        })
    const handsets: any[] = [
        {
            extension: "8000",
            department: "d0",
            receiveOnly: true,
            name: "前台",
        },
    ]
    for (let i = 0; i < 299; ++i)
        handsets.push({
            extension: "" + (2000 + i),
            department: "d" + ((i * 7) % 6),
            allow: CLASSES[i % 4],
            suspended: i % 23 === 5,
            receiveOnly: i % 31 === 7,
        })
    const v = validatePolicy({
        version: 9,
        site: {
            name: "HQ",
            areaCode: "025",
            blocked: ["95"],
            allowed: ["4008"],
        },
        departments,
        handsets,
    })
    if (!v.policy) throw new Error(v.errors.join("\n"))
    return v.policy
}

/** The board policy as the board gets it: JSON text, validated again. */
function cut(policy: Policy, board: string, ports: string[]): Policy {
    const v = validatePolicy(
        JSON.parse(JSON.stringify(boardPolicyDoc(policy, board, ports)))
    )
    if (!v.policy) throw new Error(v.errors.join("\n"))
    return v.policy
}

describe("board policy", () => {
    const full = site()
    const boards: [string, string[]][] = [
        ["desk-a", ["2000", "2001", "2005", "2030"]], // 2005 suspended, 2030 receive-only
        ["lobby", ["8000", "2299"]],
        ["new", ["2000", "7777"]], // 7777 is in no policy: internal only
    ]

    test("the same decisions and forward chains as the whole site policy", async () => {
        const corpus = makeCorpus(3000, 5, 300)
        corpus.push(
            "8000",
            "2150",
            "7777",
            "110",
            "16812345",
            "17909010123456789"
        )
        for (const [board, ports] of boards) {
            const wholePlan = await compile(full, ports, pause)
            const slim = cut(full, board, ports)
            expect(slim.handsets.length).toBeLessThanOrEqual(ports.length)
            const slimPlan = await compile(slim, ports, pause)
            for (const ext of ports) {
                const a = portPolicy(wholePlan, ext)
                const b = portPolicy(slimPlan, ext)
                expect(b.handset).toEqual(a.handset)
                expect(b.ringsBeforeForward).toBe(a.ringsBeforeForward)
                expect(b.forwardChain(ext)).toEqual(forwardChain(full, ext))
                expect(b.forwardChain(ext).length).toBeGreaterThan(0)
                for (const n of corpus) {
                    const da = decideDigits(a.plan, a.handset, n)
                    const db = decideDigits(b.plan, b.handset, n)
                    expect([
                        n,
                        db.action,
                        db.category,
                        db.dial,
                        db.code,
                    ]).toEqual([n, da.action, da.category, da.dial, da.code])
                }
            }
        }
    })

    test("carries the board id, own handsets only, and is small", () => {
        const doc = boardPolicyDoc(full, "desk-a", ["2000", "2001"])
        expect(doc.board).toBe("desk-a")
        expect(doc.handsets.map((h: any) => h.extension)).toEqual([
            "2000",
            "2001",
        ])
        expect(doc.extensions.split(" ")).toHaveLength(298)
        expect(doc.extensions.split(" ")).not.toContain("2000")
        const wholeBytes = JSON.stringify(full).length
        const slimBytes = JSON.stringify(doc).length
        expect(slimBytes).toBeLessThan(wholeBytes / 5)
    })

    test("bad board parts are refused with the path", async () => {
        const doc = boardPolicyDoc(full, "desk-a", ["2000"])
        expect(validatePolicy({ ...doc, board: "" }).errors).toEqual([
            "board: must be the board id, 1-64 characters",
        ])
        expect(
            validatePolicy({ ...doc, forward: { x1: "2000" } }).errors
        ).toEqual(["forward.x1: must be keyed by extension"])
        expect(validatePolicy({ ...doc, extensions: 42 }).errors).toEqual([
            "extensions: must be extensions separated by single spaces",
        ])
        const junk = validatePolicy({ ...doc, extensions: "2001 20x2" }).policy!
        await expect(compile(junk, ["2000"], pause)).rejects.toThrow(
            'extensions: "20x2" is not an extension'
        )
        const double = validatePolicy({
            ...doc,
            extensions: "2001  2002",
        }).policy!
        await expect(compile(double, ["2000"], pause)).rejects.toThrow(
            'extensions: "" is not an extension'
        )
    })
})
