// A whole simulated site with the REAL firmware: several boards (each
// devs/main.ts in its own VM, with its own flash and bus), one exchange,
// every board provisioned with its share of the policy and syncing with a
// REAL broker (mosquitto where installed, else aedes: test/brokerChoice.ts).
//   - sim/site-scenarios/forward-across-boards.json: a call to board a's
//     handset, unanswered, moves to the nearest department on board b, then
//     to the front desk on board c, diverted_from kept; boards a and b are
//     power-cycled mid-chain; each board's counters; board a cut off the
//     broker and back. Two of these run at once (same extensions, same
//     board ids, same broker, two site ids) without noticing each other,
//     and `dialguard status` lists each site's three boards.
//   - sim/site-scenarios/tower.json: 8 boards, 32 handsets.
// ~1-2 min; DIALGUARD_SKIP_SIM=1 skips it.

import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { runScenario, ScenarioResult } from "../sim/runner"
import { parseScenario } from "../sim/scenario"
import { checkSite, parseSiteFile } from "../sim/site"
import { testBrokerKind } from "./brokerChoice"
import { dialguard, ROOT, startBroker, TestBroker } from "./syncHarness"

const skip = !!process.env["DIALGUARD_SKIP_SIM"]
const SCENARIOS = join(ROOT, "sim", "site-scenarios")
const TMP = mkdtempSync(join(tmpdir(), "dialguard-site-"))

let broker: TestBroker

/** Every line of a scenario's output, for the assertion message. */
async function run(
    file: string,
    opts: { siteId?: string; outDir?: string } = {}
): Promise<{ r: ScenarioResult; out: string }> {
    const lines: string[] = []
    const r = await runScenario(parseScenario(join(SCENARIOS, file)), {
        brokerUrl: broker.url,
        out: l => lines.push(l),
        ...opts,
    })
    return { r, out: lines.join("\n") }
}

describe("site files", () => {
    test("the site file is checked: at most 4 ports a board, an extension on one board only", () => {
        expect(() =>
            checkSite({ boards: [{ id: "a", ports: ["1", "2"] }] }, "s.json")
        ).toThrow(/"1" is not an extension/)
        expect(() =>
            checkSite(
                {
                    boards: [
                        {
                            id: "a",
                            ports: ["8001", "8002", "8003", "8004", "8005"],
                        },
                    ],
                },
                "s.json"
            )
        ).toThrow(/1 to 4 extensions/)
        expect(() =>
            checkSite(
                {
                    boards: [
                        { id: "a", ports: ["8001"] },
                        { id: "b", ports: ["8001"] },
                    ],
                },
                "s.json"
            )
        ).toThrow(/8001 is already served by board a/)
        const hq = parseSiteFile(join(ROOT, "sim", "sites", "hq.site.json"))
        expect(hq.boards.map(b => b.id)).toStrictEqual([
            "floor3",
            "floor5",
            "lobby",
        ])
    })
})

describe.skipIf(skip)("a simulated site of several boards", () => {
    beforeAll(async () => {
        broker = await startBroker(testBrokerKind(), TMP)
    }, 60000)

    afterAll(async () => {
        await broker?.stop()
        rmSync(TMP, { recursive: true, force: true })
    })

    test("a call crosses three boards, two boards restarted mid-chain; two such sites at once on one broker", async () => {
        const [one, two] = await Promise.all([
            run("forward-across-boards.json", {
                siteId: "chain-one",
                outDir: join(TMP, "one"),
            }),
            run("forward-across-boards.json", {
                siteId: "chain-two",
                outDir: join(TMP, "two"),
            }),
        ])
        for (const { r, out } of [one, two]) {
            expect(r.ok, out).toBe(true)
            // every expectation ran (none skipped by an error)
            expect(r.outcomes.length, out).toBe(15)
        }
        // each site's boards reported to the broker, under its own id
        for (const site of ["chain-one", "chain-two"]) {
            const s = await dialguard([
                "status",
                "--broker",
                broker.url,
                "--site",
                site,
                "--json",
            ])
            expect(s.code, s.stderr).toBe(0)
            const boards = JSON.parse(s.stdout).boards
            expect(
                boards.map((b: { board: string }) => b.board).sort()
            ).toStrictEqual(["a", "b", "c"])
            for (const b of boards) expect(b.policyVersion).toBe(4)
        }
    }, 240000)

    test("8 boards, 32 handsets boot and pass a scenario", async () => {
        const { r, out } = await run("tower.json")
        expect(r.ok, out).toBe(true)
        expect(r.logFiles).toHaveLength(8)
    }, 240000)
})
