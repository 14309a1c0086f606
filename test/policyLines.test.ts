// The policy text in short lines (devs/policy/policyLines.ts): what the
// host writes is JSON that any parser reads, the board's line-by-line
// reader gets the same document from it however it is cut into pieces,
// no line of a board's share is long, and a policy whose share would need
// a line longer than a board reads whole is not sent.
import { readdirSync, readFileSync, writeFileSync, mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, test } from "vitest"
import { boardPolicyDoc } from "../devs/policy/boardPolicy"
import { policyFromLines, policyText } from "../devs/policy/policyLines"
import { validatePolicy } from "../devs/policy/validate"
import { preparePush } from "../src/fleet/push"
import { MAX_POLICY_LINE } from "../src/fleet/topics"

const POLICIES = join(import.meta.dirname, "..", "sim", "policies")

/** `text` cut every `n` characters, across lines. */
function cutEvery(text: string, n: number): string[] {
    const out: string[] = []
    for (let i = 0; i < text.length; i += n) out.push(text.slice(i, i + n))
    return out
}

describe("policy text in lines", () => {
    const files = readdirSync(POLICIES).filter(f => f.endsWith(".json"))

    test.each(files)(
        "%s: whole and every board's share read back the same",
        file => {
            const doc = JSON.parse(readFileSync(join(POLICIES, file), "utf8"))
            const v = validatePolicy(structuredClone(doc))
            const docs: any[] = [doc]
            if (v.policy)
                for (const h of v.policy.handsets)
                    docs.push(boardPolicyDoc(v.policy, "b", [h.extension]))
            for (const d of docs) {
                const text = policyText(d)
                const want = JSON.parse(JSON.stringify(d))
                expect(JSON.parse(text)).toStrictEqual(want)
                expect(policyFromLines([text])).toStrictEqual(want)
                for (const n of [1, 7, 200])
                    expect(policyFromLines(cutEvery(text, n))).toStrictEqual(
                        want
                    )
                // the lines as the board cuts a message (each with its "\n")
                const lines = text
                    .split("\n")
                    .map((l, i, a) => (i < a.length - 1 ? l + "\n" : l))
                expect(policyFromLines(lines)).toStrictEqual(want)
                // compact JSON in one line (a board flashed before the lines)
                expect(policyFromLines([JSON.stringify(d)])).toStrictEqual(want)
            }
            // a board's share: every line short
            if (docs.length > 1)
                for (const line of policyText(docs[1]).split("\n"))
                    expect(Buffer.byteLength(line)).toBeLessThan(400)
        }
    )

    test("not the board's layout: a syntax error, never a silent misread", () => {
        expect(() =>
            policyFromLines(['{"version":4,\n"site":{"name":'])
        ).toThrow()
        expect(() => policyFromLines(['"version" 4'])).toThrow()
    })

    test("a share with a line longer than a board reads whole is not sent", () => {
        const dir = mkdtempSync(join(tmpdir(), "dialguard-lines-"))
        const file = join(dir, "scattered.policy.json")
        // 400 extensions numbered one by one: the other extensions' runs
        // make one line of ~2 KB
        const handsets = []
        for (let i = 0; i < 400; ++i)
            handsets.push({
                extension: String(2000 + i * 7),
                department: "d",
            })
        writeFileSync(
            file,
            JSON.stringify({
                version: 3,
                site: { name: "HQ", areaCode: "025" },
                departments: [{ id: "d", name: "", floor: 1, x: 0, y: 0 }],
                handsets,
            })
        )
        expect(() => preparePush(file, Buffer.alloc(32, 7), "hq")).toThrow(
            `a board's share of ${file} has a line of 2015 bytes ("\\"extensions\\":\\"2000 2007 "…), boards read lines of at most ${MAX_POLICY_LINE}: number the other extensions in blocks, or split the site; nothing was published`
        )
    })
})
