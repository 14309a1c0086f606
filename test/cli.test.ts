// End-to-end tests of the dialguard CLI: every test spawns the real
// launcher (node bin/dialguard.mjs) and checks its output and exit code.
// Spawns run concurrently; each costs a Node start and the compiled CLI's.

import { spawn } from "node:child_process"
import {
    chmodSync,
    cpSync,
    existsSync,
    mkdtempSync,
    readFileSync,
    rmSync,
    symlinkSync,
    writeFileSync,
} from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, describe, expect, test } from "vitest"

const ROOT = fileURLToPath(new URL("..", import.meta.url))
const LAUNCHER = join(ROOT, "bin", "dialguard.mjs")
const HQ = "sim/policies/hq.policy.json"
const TMP = mkdtempSync(join(tmpdir(), "dialguard-cli-"))

afterAll(() => rmSync(TMP, { recursive: true, force: true }))

interface Run {
    code: number | null
    stdout: string
    stderr: string
}

function dialguard(
    args: string[],
    input?: string,
    launcher = LAUNCHER
): Promise<Run> {
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [launcher, ...args], {
            cwd: ROOT,
        })
        let stdout = ""
        let stderr = ""
        child.stdout.setEncoding("utf8").on("data", d => (stdout += d))
        child.stderr.setEncoding("utf8").on("data", d => (stderr += d))
        child.on("error", reject)
        child.on("close", code => resolve({ code, stdout, stderr }))
        child.stdin.end(input ?? "")
    })
}

function tempFile(name: string, content: string): string {
    const file = join(TMP, name)
    writeFileSync(file, content)
    return file
}

function noStackTrace(r: Run) {
    expect(r.stdout + r.stderr).not.toMatch(/^\s+at /m)
    expect(r.stderr).not.toContain("internal error")
}

const decideJson = (ext: string, digits: string) =>
    dialguard(["decide", "--policy", HQ, "--handset", ext, digits, "--json"])

describe.concurrent("decide", () => {
    test("readable dial line", async () => {
        const r = await dialguard([
            "decide",
            "--policy",
            HQ,
            "--handset",
            "8001",
            "010-6234 5678",
        ])
        expect(r.stderr).toBe("")
        expect(r.code).toBe(0)
        expect(r.stdout).toBe(
            "8001 dials 01062345678 -> DIAL 1790901062345678 [domestic] domestic long distance via IP prefix 17909 (decided on digit)\n"
        )
    })

    test("a leading + is the international prefix: +86 is China itself, +44 abroad", async () => {
        const [china, premium, uk, bad] = await Promise.all([
            decideJson("8001", "+86 10 6234 5678"),
            decideJson("8101", "+86 168 12345"),
            decideJson("8101", "+44 20 7946 0018"),
            decideJson("8101", "44+20"),
        ])
        expect(JSON.parse(china.stdout)).toMatchObject({
            action: "dial",
            category: "domestic",
            dial: "1790901062345678",
            decidedOn: "digit",
        })
        expect(JSON.parse(premium.stdout)).toMatchObject({
            action: "block",
            category: "premium",
            code: "premium",
        })
        expect(JSON.parse(uk.stdout)).toMatchObject({
            action: "dial",
            category: "international",
            dial: "1790900442079460018",
            decidedOn: "digit",
        })
        expect(bad.code).toBe(2)
        expect(bad.stderr).toContain('contains "+"')
    })

    test("readable block line gives the refusal reason", async () => {
        const r = await dialguard([
            "decide",
            "--policy",
            HQ,
            "--handset",
            "8000",
            "02584001234",
        ])
        expect(r.code).toBe(0)
        expect(r.stdout).toBe(
            "8000 dials 02584001234 -> BLOCK [local, receiveOnly] handset 8000 (前台) is receive-only: only internal extensions and emergency numbers (decided on digit)\n"
        )
    })

    test("--json: long distance gets the IP prefix", async () => {
        const r = await decideJson("8001", "01062345678")
        expect(r.code).toBe(0)
        expect(r.stdout.endsWith("\n")).toBe(true)
        expect(JSON.parse(r.stdout)).toStrictEqual({
            action: "dial",
            category: "domestic",
            dial: "1790901062345678",
            reason: "domestic long distance via IP prefix 17909",
            decidedOn: "digit",
        })
    })

    test("--json: premium 声讯台 number is blocked", async () => {
        const r = await decideJson("8001", "16812345")
        expect(r.code).toBe(0)
        const d = JSON.parse(r.stdout)
        expect(d).toMatchObject({
            action: "block",
            category: "premium",
            code: "premium",
            decidedOn: "digit",
        })
        expect(d).not.toHaveProperty("dial")
        expect(d.reason).toContain("16812345")
    })

    test("--json: receive-only front desk cannot call out", async () => {
        const r = await decideJson("8000", "02584001234")
        expect(r.code).toBe(0)
        expect(JSON.parse(r.stdout)).toMatchObject({
            action: "block",
            code: "receiveOnly",
            decidedOn: "digit",
        })
    })

    test("--json: receive-only front desk can call emergency 110", async () => {
        const r = await decideJson("8000", "110")
        expect(r.code).toBe(0)
        expect(JSON.parse(r.stdout)).toMatchObject({
            action: "dial",
            category: "emergency",
            dial: "110",
            decidedOn: "digit",
        })
    })

    test("--json: suspended handset cannot call an extension", async () => {
        const r = await decideJson("8102", "8001")
        expect(r.code).toBe(0)
        const d = JSON.parse(r.stdout)
        expect(d).toMatchObject({
            action: "block",
            category: "internal",
            code: "suspended",
            decidedOn: "timeout",
        })
        expect(Object.keys(d)).toStrictEqual([
            "action",
            "category",
            "reason",
            "code",
            "decidedOn",
        ])
    })

    test("--json: internal call is decided on timeout, or on #", async () => {
        const [timeout, hash] = await Promise.all([
            decideJson("8001", "8000"),
            decideJson("8001", "8000#"),
        ])
        expect(JSON.parse(timeout.stdout)).toStrictEqual({
            action: "dial",
            category: "internal",
            dial: "8000",
            reason: "internal extension",
            decidedOn: "timeout",
        })
        expect(JSON.parse(hash.stdout)).toMatchObject({
            action: "dial",
            dial: "8000",
            decidedOn: "digit",
        })
    })

    test("unknown handset fails and lists the known extensions", async () => {
        const r = await dialguard([
            "decide",
            "--policy",
            HQ,
            "--handset",
            "9999",
            "110",
        ])
        expect(r.code).toBe(1)
        expect(r.stdout).toBe("")
        expect(r.stderr).toContain('unknown handset "9999"')
        expect(r.stderr).toContain("known extensions: 8000, 8001, 8101, 8102")
        noStackTrace(r)
    })

    test("invalid policy: decide refuses and lists the problems", async () => {
        const file = tempFile(
            "decide-bad.json",
            JSON.stringify({ version: 3, site: { name: "X" } })
        )
        const r = await dialguard([
            "decide",
            "--policy",
            file,
            "--handset",
            "8001",
            "110",
        ])
        expect(r.code).toBe(1)
        expect(r.stdout).toBe("")
        expect(r.stderr).toContain("policy file " + file + " is invalid")
        expect(r.stderr).toContain(file + ": site.areaCode: required")
        noStackTrace(r)
    })
})

describe.concurrent("decide --batch", () => {
    test("one JSON decision per line; bad lines give errors and exit 1", async () => {
        const input = [
            '{"handset":"8001","digits":"01062345678"}',
            "",
            '{"handset":"8000","digits":"110","id":"a7"}',
            "this is not json",
            '{"digits":"110"}',
            '{"handset":"7777","digits":"110"}',
            '{"handset":"8001","digits":"0106234567x"}',
            '{"handset":"8101","digits":"16812345"}',
        ].join("\n")
        const r = await dialguard(
            ["decide", "--policy", HQ, "--batch"],
            input + "\n"
        )
        expect(r.code).toBe(1)
        expect(r.stderr).toContain("4 of the input lines had errors")
        noStackTrace(r)
        const out = r.stdout
            .trimEnd()
            .split("\n")
            .map(l => JSON.parse(l))
        expect(out).toHaveLength(7)
        expect(out[0]).toStrictEqual({
            action: "dial",
            category: "domestic",
            dial: "1790901062345678",
            reason: "domestic long distance via IP prefix 17909",
            decidedOn: "digit",
            handset: "8001",
            digits: "01062345678",
        })
        expect(out[1]).toMatchObject({
            action: "dial",
            dial: "110",
            handset: "8000",
            digits: "110",
            id: "a7",
        })
        expect(out[2].error).toMatch(/^line 4: invalid JSON/)
        expect(out[3]).toStrictEqual({
            error: 'line 5: missing "handset"',
            digits: "110",
        })
        expect(out[4].error).toMatch(/^line 6: unknown handset "7777"/)
        expect(out[4]).toMatchObject({ handset: "7777", digits: "110" })
        expect(out[5].error).toMatch(/^line 7: "digits" contains "x"/)
        expect(out[6]).toMatchObject({
            action: "block",
            code: "premium",
            handset: "8101",
            digits: "16812345",
        })
    })

    test("all good lines: exit 0", async () => {
        const r = await dialguard(
            ["decide", "--policy", HQ, "--batch"],
            '{"handset":"8102","digits":"120"}\n'
        )
        expect(r.code).toBe(0)
        expect(r.stderr).toBe("")
        expect(JSON.parse(r.stdout)).toMatchObject({
            action: "dial",
            category: "emergency",
            dial: "120",
        })
    })

    test("20,000 lines come back complete and in order", async () => {
        const N = 20000
        const handsets = ["8001", "8000", "8101"]
        const lines: string[] = []
        for (let i = 0; i < N; i++) {
            const digits = "010" + String(60000000 + i)
            lines.push(
                JSON.stringify({ handset: handsets[i % 3], digits, n: i })
            )
        }
        const r = await dialguard(
            ["decide", "--policy", HQ, "--batch"],
            lines.join("\n") + "\n"
        )
        expect(r.code).toBe(0)
        expect(r.stderr).toBe("")
        const out = r.stdout.split("\n")
        expect(out.pop()).toBe("")
        expect(out).toHaveLength(N)
        for (let i = 0; i < N; i++) {
            const d = JSON.parse(out[i])
            const digits = "010" + String(60000000 + i)
            if (
                d.n !== i ||
                d.digits !== digits ||
                d.handset !== handsets[i % 3]
            )
                throw new Error(
                    "output line " +
                        (i + 1) +
                        " does not match its input: " +
                        out[i]
                )
            const blocked = d.handset === "8000"
            if (
                d.action !== (blocked ? "block" : "dial") ||
                (!blocked && d.dial !== "17909" + digits)
            )
                throw new Error(
                    "wrong decision on line " + (i + 1) + ": " + out[i]
                )
        }
        // 3-4 s alone, ~8 s beside the other CLI tests at load 20
    }, 60000)
})

describe.concurrent("policy check", () => {
    test("the sample policy is valid", async () => {
        const r = await dialguard(["policy", "check", HQ])
        expect(r.code).toBe(0)
        expect(r.stderr).toBe("")
        expect(r.stdout).toMatch(
            /^sim\/policies\/hq\.policy\.json: OK: version 3, site HQ \(area code 025\), 2 departments, 4 handsets, dial plan \d+ nodes \(\d+ bytes\), \d+ rules\n$/
        )
    })

    test("every problem is reported as FILE: path: reason", async () => {
        const file = tempFile(
            "invalid.json",
            JSON.stringify(
                {
                    version: "3",
                    colour: "blue",
                    site: { name: "HQ", areaCode: "0266" },
                    departments: [
                        { id: "admin", name: "Admin", floor: 1, x: 0, y: 0 },
                    ],
                    handsets: [
                        { extension: "8001", department: "admin" },
                        { extension: "8001", department: "admin" },
                        { extension: "8002", department: "ghost" },
                    ],
                },
                null,
                4
            )
        )
        const r = await dialguard(["policy", "check", file])
        expect(r.code).toBe(1)
        expect(r.stdout).toBe("")
        noStackTrace(r)
        const lines = r.stderr.trimEnd().split("\n")
        const expected = [
            /^version: .*"3"/,
            /^colour: unknown key/,
            /^site\.areaCode: .*"0266"/,
            /^handsets\[1\]\.extension: duplicate extension "8001"/,
            /^handsets\[2\]\.department: unknown department "ghost"/,
        ]
        for (const re of expected) {
            const found = lines.filter(
                l =>
                    l.startsWith(file + ": ") &&
                    re.test(l.slice(file.length + 2))
            )
            expect(
                found,
                "a line matching " + re + " in:\n" + r.stderr
            ).toHaveLength(1)
        }
        expect(lines[lines.length - 1]).toBe(file + ": invalid: 5 problems")
        expect(lines).toHaveLength(6)
    })

    test("malformed JSON: line and column, no stack trace", async () => {
        const file = tempFile(
            "malformed.json",
            '{\n    "version": 3\n    "site": {}\n}\n'
        )
        const r = await dialguard(["policy", "check", file])
        expect(r.code).toBe(1)
        noStackTrace(r)
        expect(r.stderr.split("\n")[0]).toBe(
            "dialguard: " +
                file +
                ":3:5: invalid JSON: expected ',' or '}' after a property value, found '\"'"
        )
    })

    test("unquoted area code: pointed at with advice", async () => {
        const file = tempFile(
            "leading-zero.json",
            '{"version": 3, "site": {"areaCode": 025}}'
        )
        const r = await dialguard(["policy", "check", file])
        expect(r.code).toBe(1)
        expect(r.stderr).toContain(
            file + ":1:37: invalid JSON: numbers must not start with 0"
        )
    })

    test("a key given twice is refused, naming it (JSON would keep the last silently)", async () => {
        const hq = readFileSync(join(ROOT, HQ), "utf8")
        const twice = tempFile(
            "twice.json",
            hq.replace('"version": 3,', '"version": 3,\n    "version": 4,')
        )
        const inner = tempFile(
            "inner.json",
            '{"version":3,"site":{"name":"a","areaCode":"025","ipPrefix":"17909","ipPrefix":"00"},"departments":[],"handsets":[]}'
        )
        const yaml = tempFile(
            "twice.yaml",
            "version: 3\nsite: { name: HQ, areaCode: '025' }\nversion: 4\n"
        )
        const [r, i, y] = await Promise.all([
            dialguard(["policy", "check", twice]),
            dialguard([
                "decide",
                "--policy",
                inner,
                "--handset",
                "8001",
                "110",
            ]),
            dialguard(["policy", "check", yaml]),
        ])
        expect(r.code).toBe(1)
        noStackTrace(r)
        expect(r.stderr.split("\n")[0]).toBe(
            "dialguard: " +
                twice +
                ':3:5: invalid JSON: duplicate key "version" (also at line 2, column 5)'
        )
        expect(i.code).toBe(1)
        expect(i.stderr).toContain('invalid JSON: duplicate key "ipPrefix"')
        expect(y.code).toBe(1)
        expect(y.stderr.split("\n")[0]).toBe(
            "dialguard: " +
                yaml +
                ':3:1: invalid YAML: duplicate key "version" (Map keys must be unique)'
        )
    })

    test("missing file", async () => {
        const file = join(TMP, "does-not-exist.json")
        const r = await dialguard(["policy", "check", file])
        expect(r.code).toBe(1)
        expect(r.stderr).toBe(
            "dialguard: cannot read policy file " + file + ": no such file\n"
        )
    })

    test("YAML policy", async () => {
        const file = tempFile(
            "hq.yaml",
            [
                "version: 3",
                "site: { name: HQ, areaCode: '025' }",
                "departments:",
                "  - { id: admin, name: 人事行政部, floor: 3, x: 10, y: 4 }",
                "handsets:",
                "  - { extension: '8001', department: admin, allow: domestic }",
                "  - { extension: 8002, department: admin }",
            ].join("\n")
        )
        const r = await dialguard(["policy", "check", file])
        expect(r.code).toBe(1)
        expect(r.stderr).toContain(
            file + ": handsets[1].extension: must be a string, not 8002\n"
        )
        expect(r.stderr).toContain("must be quoted")
    })
})

describe.concurrent("usage errors exit 2 with a hint", () => {
    const cases: [string[], string][] = [
        [
            ["frobnicate"],
            "dialguard: unknown command 'frobnicate' (expected one of: decide, policy, ",
        ],
        [
            ["decide", "--policy", HQ, "--handset", "8001", "110", "--colour"],
            "dialguard decide: unknown option --colour",
        ],
        [
            ["decide", "--handset", "8001", "110"],
            "dialguard decide: missing --policy FILE",
        ],
        [
            ["decide", "--policy", HQ, "110"],
            "dialguard decide: missing --handset EXT",
        ],
        [
            ["decide", "--policy", HQ, "--handset", "8001", "110", "120"],
            'dialguard decide: unexpected argument "120"',
        ],
        [
            ["decide", "--policy", HQ, "--handset", "8001", "010+123"],
            'dialguard decide: DIGITS "010+123" contains "+"',
        ],
        [
            ["decide", "--policy", HQ, "--batch", "110"],
            'dialguard decide: unexpected argument "110"',
        ],
        [["policy", "check"], "dialguard policy check: missing FILE"],
        [
            ["policy", "check", HQ, "extra.json"],
            'dialguard policy check: unexpected argument "extra.json"',
        ],
        [["policy", "lint"], "dialguard policy: unknown subcommand 'lint'"],
    ]
    test.each(cases)("dialguard %j", async (args, message) => {
        const r = await dialguard(args)
        expect(r.code).toBe(2)
        expect(r.stdout).toBe("")
        const [first, hint, ...more] = r.stderr.split("\n")
        expect(first.startsWith(message), first).toBe(true)
        expect(hint).toMatch(/^Run 'dialguard.*--help' for usage\.$/)
        expect(more).toStrictEqual([""])
    })
})

describe.concurrent("report", () => {
    test("--calls given a file: says it needs the collector's folder (before connecting)", async () => {
        const file = tempFile("calls-2026-11.jsonl", "")
        const r = await dialguard([
            "report",
            "--broker",
            "mqtt://127.0.0.1:1",
            "--site",
            "hq",
            "--month",
            "2026-11",
            "--calls",
            file,
        ])
        noStackTrace(r)
        expect(r.code).toBe(1)
        expect(r.stderr).toBe(
            `dialguard: --calls ${file} is a file, not a folder: give the folder 'dialguard collect --out DIR' writes (here --calls ${TMP})\n`
        )
    }, 60000)
})

describe.concurrent("no message echoes a secret", () => {
    const KEY =
        "e15836d4ba8f1668071d4c74c19c12aa00112233445566778899aabbccddeeff"
    /** No 6 characters in a row of the secret appear in the output. */
    function quotesNothingOf(r: Run, secret: string) {
        const out = r.stdout + r.stderr
        for (let i = 0; i + 6 <= secret.length; i++)
            expect(out, `"${secret.slice(i, i + 6)}" in: ${out}`).not.toContain(
                secret.slice(i, i + 6)
            )
    }

    test("a key file where a policy is expected: named as such, none of it shown", async () => {
        const key = tempFile("site.key", KEY + "\n")
        chmodSync(key, 0o600)
        const yaml = tempFile("site.key.yaml", KEY + "\n")
        const cases: [string, string[]][] = [
            [key, ["policy", "check", key]],
            [yaml, ["policy", "check", yaml]],
            [key, ["decide", "--policy", key, "--handset", "8001", "110"]],
            // read before any connection is made
            [
                key,
                [
                    "policy",
                    "push",
                    key,
                    "--broker",
                    "mqtt://127.0.0.1:1",
                    "--key",
                    key,
                ],
            ],
        ]
        // one at a time: the other concurrent tests spawn CLIs too
        const runs: Run[] = []
        for (const [, args] of cases) runs.push(await dialguard(args))
        runs.forEach((r, i) => {
            noStackTrace(r)
            expect(r.code, cases[i]![1].join(" ")).toBe(1)
            expect(r.stderr).toBe(
                `dialguard: ${cases[i]![0]}: this is a site key file (64 hex digits), not a policy\n`
            )
            quotesNothingOf(r, KEY)
        })
    }, 60000)

    test("a board configuration with a syntax error: where, but not the line", async () => {
        const cfg = {
            board: "desk-a",
            ports: ["8001"],
            site: "hq",
            broker: {
                url: "mqtt://10.0.0.5",
                username: "desk-a",
                password: "hunter2-Secret",
            },
            siteKey: KEY,
        }
        const json = tempFile(
            "board.json",
            JSON.stringify(cfg, null, 2).replace('"hq",', '"hq",,')
        )
        const r = await dialguard(["policy", "check", json])
        expect(r.code).toBe(1)
        expect(r.stderr).toBe(
            `dialguard: ${json}:6:16: invalid JSON: expected a property name in double quotes, found a character\n` +
                "    (the line is not shown: the file looks like it holds a key or password)\n"
        )
        quotesNothingOf(r, KEY)
        quotesNothingOf(r, "hunter2-Secret")
        const yaml = tempFile(
            "board.yaml",
            `board: desk-a\nbroker:\n  password: hunter2-Secret "x\n  url: [\nsiteKey: ${KEY}\n`
        )
        const y = await dialguard(["policy", "check", yaml])
        noStackTrace(y)
        expect(y.code).toBe(1)
        expect(y.stderr).toMatch(
            /^dialguard: .*board\.yaml:\d+:\d+: invalid YAML: /
        )
        expect(y.stderr).toContain("(the line is not shown")
        quotesNothingOf(y, KEY)
        quotesNothingOf(y, "hunter2-Secret")
        // the simulator reads policies and scenarios the same way
        const { loadJsonOrYaml } = await import("../sim/scenario")
        expect(() => loadJsonOrYaml(json, "policy")).toThrow(
            /board\.json:6:16: invalid JSON: expected a property name in double quotes, found a character$/
        )
        expect(() => loadJsonOrYaml(tempFile("k.json", KEY), "policy")).toThrow(
            /k\.json: this is a site key file \(64 hex digits\), not a policy$/
        )
    }, 60000)

    test("broker logins: never shown from a URL or a password split by a space", async () => {
        const key = tempFile("push.key", KEY + "\n")
        const cases = [
            ["status", "--broker", "http://admin:hunter2-Secret@mqtt.example"],
            [
                "status",
                "--broker",
                "mqtt://admin:hunter2-Secret@mqtt.example:99999",
            ],
            [
                "status",
                "--broker",
                "mqtt://admin:hunter2-Secret@mqtt.example/x",
            ],
            [
                "flash",
                "--board",
                "desk-a",
                "--ports",
                "8001",
                "--broker",
                "mqtt://desk-a:hunter2-Secret@mqtt.example",
                "--key",
                key,
                "--site",
                "hq",
            ],
            // --password hunter2 Secret (unquoted): "Secret" is its rest
            [
                "status",
                "--broker",
                "mqtt://127.0.0.1:1",
                "--username",
                "admin",
                "--password",
                "hunter2-",
                "Secret",
            ],
        ]
        // one at a time: the other concurrent tests spawn CLIs too
        const runs: Run[] = []
        for (const args of cases) runs.push(await dialguard(args))
        for (const r of runs) {
            noStackTrace(r)
            expect(r.code, r.stderr).toBe(2)
            quotesNothingOf(r, "hunter2-Secret")
        }
        expect(runs[0]!.stderr).toContain(
            'bad broker URL "http://***@mqtt.example"'
        )
        expect(runs[3]!.stderr).toContain(
            'bad --broker "mqtt://***@mqtt.example"'
        )
        expect(runs[4]!.stderr).toContain(
            "unexpected argument after --password (not shown; a password with spaces needs quotes)"
        )
    }, 60000)
})

describe.concurrent("help", () => {
    test("dialguard --help lists the commands", async () => {
        const r = await dialguard(["--help"])
        expect(r.code).toBe(0)
        expect(r.stdout).toMatch(/^Commands:$/m)
        expect(r.stdout).toMatch(/^ {2}decide {2,}\S/m)
        expect(r.stdout).toMatch(/^ {2}policy check {2,}\S/m)
    })

    test("help decide and decide --help show the same usage, with examples", async () => {
        const [a, b] = await Promise.all([
            dialguard(["help", "decide"]),
            dialguard(["decide", "--help"]),
        ])
        expect(a.code).toBe(0)
        expect(b.code).toBe(0)
        expect(a.stdout).toBe(b.stdout)
        expect(a.stdout).toContain(
            "dialguard decide --policy FILE --handset EXT DIGITS [--json]"
        )
        expect(a.stdout).toContain("dialguard decide --policy FILE --batch")
        expect(a.stdout).toContain("Examples:")
    })

    test("policy --help lists its subcommands", async () => {
        const r = await dialguard(["policy", "--help"])
        expect(r.code).toBe(0)
        expect(r.stdout).toMatch(/^ {2}policy check {2,}\S/m)
        expect(r.stdout).toContain(
            "dialguard policy check sim/policies/hq.policy.json"
        )
    })
})

describe("the compiled CLI (dist/)", () => {
    test("missing or older than a source: rebuilt before it runs, never old code", async () => {
        // a copy of the project, with no dist/ yet
        const copy = join(TMP, "project")
        for (const f of ["bin", "scripts", "src", "devs", "sim", "services"])
            cpSync(join(ROOT, f), join(copy, f), { recursive: true })
        for (const f of ["package.json", "tsconfig.json"])
            cpSync(join(ROOT, f), join(copy, f))
        symlinkSync(join(ROOT, "node_modules"), join(copy, "node_modules"))
        const launcher = join(copy, "bin", "dialguard.mjs")
        const first = await dialguard(["--help"], "", launcher)
        expect(first.stderr).toBe("")
        expect(first.stdout).toMatch(/^ {2}key new {2,}write a new random/m)
        expect(existsSync(join(copy, "dist", "dialguard.mjs"))).toBe(true)

        const keyTs = join(copy, "src", "commands", "key.ts")
        const text = readFileSync(keyTs, "utf8")
        const edited = text.replace(
            "write a new random site key file",
            "EDITED: write a new random site key file"
        )
        expect(edited).not.toBe(text)
        writeFileSync(keyTs, edited)
        const second = await dialguard(["--help"], "", launcher)
        expect(second.stderr).toBe("")
        expect(second.stdout).toMatch(/^ {2}key new {2,}EDITED: write/m)
    }, 60000)
})
