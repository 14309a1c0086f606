// A board policy (devs/policy/boardPolicy.ts) enforces exactly what the
// whole site policy enforces on that board's ports: same decisions for a
// realistic corpus, same forward chains, and it is a fraction of the size.
import { describe, expect, test } from "vitest"
import { compile, portPolicy } from "../devs/app/policyLoader"
import { decideDigits } from "../devs/engine/dialSession"
import { forwardChain } from "../devs/phone/forwarding"
import { boardPolicyDoc } from "../devs/policy/boardPolicy"
import {
    compressExtensions,
    countEntries,
    countExtensions,
    ExtensionReader,
} from "../devs/policy/extensionRanges"
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
                // a call at the front desk stays there; every other goes on
                // and ends at the desk
                if (ext === "8000") expect(b.forwardChain(ext)).toEqual([])
                else expect(b.forwardChain(ext).pop()).toBe("8000")
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

    test("a forwarded call is offered the same hops as with the whole policy: the rest of the chain of the handset it was for", async () => {
        // Every handset of the site, and a board for every 4 of them
        const all = full.handsets.map(h => h.extension)
        let hops = 0
        for (let b = 0; b < all.length; b += 4) {
            const ports = all.slice(b, b + 4)
            const wholePlan = await compile(full, ports, pause)
            const slim = await compile(cut(full, "b" + b, ports), ports, pause)
            for (const port of ports) {
                const a = portPolicy(wholePlan, port)
                const s = portPolicy(slim, port)
                for (const first of all) {
                    // what the port does with a call first for `first`
                    const chain = forwardChain(full, first)
                    if (first !== port && chain.indexOf(port) < 0) continue
                    // the hops the port offers (HandsetPort: after itself)
                    const rest = (c: string[]) => c.slice(c.indexOf(port) + 1)
                    expect([first, port, rest(s.forwardChain(first))]).toEqual([
                        first,
                        port,
                        rest(a.forwardChain(first)),
                    ])
                    hops++
                }
            }
        }
        expect(hops).toBeGreaterThan(600)
    })

    test("carries the board id, own handsets only, and is small", () => {
        const doc = boardPolicyDoc(full, "desk-a", ["2000", "2001"])
        expect(doc.board).toBe("desk-a")
        expect(doc.handsets.map((h: any) => h.extension)).toEqual([
            "2000",
            "2001",
        ])
        expect(doc.extensions).toBe("2002-2298 8000")
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
            validatePolicy({ ...doc, forward: { "2001 8000": 5 } }).errors
        ).toEqual([
            "forward.2001 8000: must be the extensions whose calls follow this chain",
        ])
        expect(validatePolicy({ ...doc, extensions: 42 }).errors).toEqual([
            "extensions: must be extensions separated by single spaces",
        ])
        const junk = validatePolicy({ ...doc, extensions: "2001 20x2" }).policy!
        await expect(compile(junk, ["2000"], pause)).rejects.toThrow(
            'extensions: "20x2" is not an extension (2-6 digits, not starting with 0 or 1) or a range lo-hi of them'
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

describe("extension ranges", () => {
    /** Every extension the reader's entries stand for (prefix + free digits). */
    const read = (words: string) => {
        const r = new ExtensionReader(words)
        const out: string[] = []
        for (let p = r.next(); p !== undefined; p = r.next()) {
            if (!r.free) out.push(p)
            else
                for (let i = 0; i < 10 ** r.free; ++i)
                    out.push(p + String(i).padStart(r.free, "0"))
        }
        return out
    }
    const entries = (words: string) => {
        const r = new ExtensionReader(words)
        const out: string[] = []
        for (let p = r.next(); p !== undefined; p = r.next())
            out.push(p + "x".repeat(r.free))
        return out
    }

    test("runs of 3 or more become lo-hi, and read back to the same set", () => {
        expect(
            compressExtensions([
                "8003",
                "2001",
                "8001",
                "2002",
                "8002",
                "300",
                "2004",
            ])
        ).toBe("300 2001 2002 2004 8001-8003")
        expect(compressExtensions([])).toBe("")
        // random sets: a few blocks with gaps, mixed lengths
        let seed = 7
        const rnd = () =>
            (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648
        for (let round = 0; round < 50; ++round) {
            const set = new Set<string>()
            for (let b = 0; b < 5; ++b) {
                const len = 4 + Math.floor(rnd() * 3) // 4-6 digits, 2xxx-7xxx
                const start =
                    (2 + Math.floor(rnd() * 5)) * 10 ** (len - 1) +
                    Math.floor(rnd() * 5 * 10 ** (len - 2))
                for (let i = 0; i < rnd() * 300; ++i)
                    if (rnd() < 0.9) set.add(String(start + i))
            }
            const words = compressExtensions([...set])
            expect(read(words).sort()).toEqual([...set].sort())
            expect(countExtensions(words)).toBe(set.size)
            expect(entries(words).length).toBeLessThanOrEqual(
                countEntries(words)
            )
        }
    })

    test("a 3000-extension site in a few bytes", () => {
        const exts = Array.from({ length: 3000 }, (_, i) => String(2000 + i))
        exts.splice(1500, 1) // one free number
        expect(compressExtensions(exts)).toBe("2000-3499 3501-4999")
        // a few trie entries, not 3000
        expect(entries("2000-3499 3501-4999")).toEqual([
            "2xxx",
            "30xx",
            "31xx",
            "32xx",
            "33xx",
            "34xx",
            "3501",
            "3502",
            "3503",
            "3504",
            "3505",
            "3506",
            "3507",
            "3508",
            "3509",
            "351x",
            "352x",
            "353x",
            "354x",
            "355x",
            "356x",
            "357x",
            "358x",
            "359x",
            "36xx",
            "37xx",
            "38xx",
            "39xx",
            "4xxx",
        ])
    })

    test("bad words are refused", () => {
        for (const w of [
            "2000-1999",
            "200-2000",
            "2000-",
            "-2000",
            "0200-0300",
            "2000-2000x",
            "2000-99999",
            "20000-39999",
        ])
            expect(() => read(w), w).toThrow("is not an extension")
        expect(read("2000-2000")).toEqual(["2000"])
        expect(read("")).toEqual([])
    })
})
