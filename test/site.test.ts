// A whole simulated site with the REAL firmware: several boards (each
// devs/main.ts in its own VM, with its own flash and bus), one exchange,
// every board provisioned with its share of the policy and syncing with a
// REAL broker (mosquitto where installed, else aedes: test/brokerChoice.ts).
//   - sim/site-scenarios/forward-across-boards.json: a call to board a's
//     handset, unanswered, moves to the nearest department on board b, then
//     to the front desk on board c, diverted_from kept; boards a and b are
//     power-cycled mid-chain; each board's counters; board a cut off the
//     broker and back. Two of these run at once, one in this process and
//     one in a `dialguard sim run` (same extensions, same board ids, same
//     broker, two site ids) without noticing each other, and `dialguard
//     status` lists each site's three boards.
//   - sim/site-scenarios/hq-site.json: the site npm start runs; and
//     hq-internal.json, calls between its boards only (also over SIP).
//   - sim/site-scenarios/tower.json: 8 boards, 32 handsets.
// ~1-2 min; DIALGUARD_SKIP_SIM=1 skips it.

import { spawnSync } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
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
afterAll(() => rmSync(TMP, { recursive: true, force: true }))

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

describe("site scenarios are checked before anything starts", () => {
    const write = (name: string, doc: unknown) => {
        const file = join(TMP, name)
        writeFileSync(file, JSON.stringify(doc))
        return file
    }
    const site = join(ROOT, "sim", "sites", "chain.site.json")

    test("a board that is not in the site, a board step without a site, ports beside a site", () => {
        expect(() =>
            parseScenario(
                write("a.json", {
                    name: "x",
                    site,
                    steps: [{ restart: "power", board: "d" }],
                })
            )
        ).toThrow(
            /step 1 \(restart\)\.board: no board "d" in the site \(boards: a, b, c\)/
        )
        expect(() =>
            parseScenario(
                write("b.json", {
                    name: "x",
                    ports: ["8001"],
                    steps: [{ restart: "power", board: "a" }],
                })
            )
        ).toThrow(/"board" is for a site scenario/)
        expect(() =>
            parseScenario(
                write("c.json", { name: "x", site, ports: ["8001"], steps: [] })
            )
        ).toThrow(/leave "ports" out/)
        expect(() =>
            parseScenario(
                write("d.json", {
                    name: "x",
                    site,
                    steps: [{ offHook: "8201" }],
                })
            )
        ).toThrow(/"8201" is not a simulated port \(ports: 8001, 8101, 8000\)/)
        expect(() =>
            parseScenario(
                write("e.json", {
                    name: "x",
                    ports: ["8001"],
                    steps: [{ brokerLink: "down" }],
                })
            )
        ).toThrow(/a broker link is for a site scenario/)
        const ok = parseScenario(
            write("f.json", {
                name: "x",
                site,
                steps: [
                    { expectCounter: { name: "8101.calls.local", equals: 0 } },
                ],
            })
        )
        expect(ok.ports).toStrictEqual(["8001", "8101", "8000"])
        expect(ok.policyFile).toMatch(/chain\.policy\.json$/)
    })

    test("dialguard sim run --broker wants mqtt://; npm run sim --site wants a file", async () => {
        const r = await dialguard(["sim", "run", "--broker", "http://x", site])
        expect(r.code).toBe(2)
        expect(r.stderr).toContain("bad --broker")
        const sim = spawnSync(
            process.execPath,
            [
                join(ROOT, "node_modules", "tsx", "dist", "cli.mjs"),
                join(ROOT, "sim", "interactive.ts"),
                "--site",
                "hq",
            ],
            { cwd: ROOT, encoding: "utf8", timeout: 30000 }
        )
        expect(sim.status).toBe(1)
        expect(sim.stderr).toBe(
            "sim: --site takes a site file (e.g. sim/sites/hq.site.json); the MQTT site id is --site-id hq\n"
        )
    }, 60000)
})

describe.skipIf(skip)("a simulated site of several boards", () => {
    beforeAll(async () => {
        broker = await startBroker(testBrokerKind(), TMP)
    }, 60000)

    afterAll(async () => {
        await broker?.stop()
    })

    test("a call crosses three boards, two boards restarted mid-chain; two such sites at once on one broker, one in this process, one in a `dialguard sim run`", async () => {
        const [one, two] = await Promise.all([
            run("forward-across-boards.json", {
                siteId: "chain-one",
                outDir: join(TMP, "one"),
            }),
            // the same site in another process: its site id is the
            // policy's ("Chain" → chain)
            dialguard([
                "sim",
                "run",
                "--broker",
                broker.url,
                "--out",
                join(TMP, "two"),
                join(SCENARIOS, "forward-across-boards.json"),
            ]),
        ])
        expect(one.r.ok, one.out).toBe(true)
        // every expectation ran (none skipped by an error)
        expect(one.r.outcomes.length, one.out).toBe(16)
        expect(two.code, two.stdout + two.stderr).toBe(0)
        expect(two.stdout).toMatch(/^PASS .*: 16\/16 checks held/m)
        // each site's boards reported to the broker, under its own id
        for (const site of ["chain-one", "chain"]) {
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

    test("npm start's site (sim/sites/hq.site.json): forwarding from the lobby to floor 3 and floor 5, each board its share", async () => {
        const { r, out } = await run("hq-site.json")
        expect(r.ok, out).toBe(true)
        expect(r.outcomes.length, out).toBe(12)
    }, 240000)

    test("npm start's site, calls between its boards only (sim/site-scenarios/hq-internal.json, which test/sipCli.test.ts plays over real SIP)", async () => {
        const { r, out } = await run("hq-internal.json")
        expect(r.ok, out).toBe(true)
        expect(r.outcomes.length, out).toBe(9)
    }, 240000)

    test("8 boards, 32 handsets boot and pass a scenario", async () => {
        const { r, out } = await run("tower.json")
        expect(r.ok, out).toBe(true)
        expect(r.logFiles).toHaveLength(8)
    }, 240000)
})
