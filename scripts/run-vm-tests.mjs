// Test runner behind `npm test` and `npm run test:vm`.
//
//   node scripts/run-vm-tests.mjs [entry.ts ...]              VM tests only
//   node scripts/run-vm-tests.mjs --with-host [entry.ts ...]  vitest and VM tests
//
// With --with-host the VM tests run while vitest does (they use no port and
// little CPU: most of their time is the VM's GC stress); their output is
// held back and printed after vitest's.
// Each entry runs every test file it imports in one VM:
// `devs run <entry> --test --test-self-exit -T <ms>` (about 2 s each).
// Default entries: test/vm/main*.ts (main.ts, main-store.ts, ...), so test
// files that do not fit one VM heap together can get their own entry.
// VM_TEST_TIMEOUT_MS sets each VM run's timeout (default 120000).
// Both suites always run; the exit code is non-zero if either failed, and the
// last line is "total: N passed, N failed" (after the line saying which
// brokers the fleet tests ran against).
import { spawn } from "node:child_process"
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const bin = name => join(root, "node_modules", ".bin", name)

const args = process.argv.slice(2)
const withHost = args.includes("--with-host")
let entries = args.filter(a => !a.startsWith("--"))
if (entries.length === 0)
    entries = readdirSync(join(root, "test", "vm"))
        .filter(f => /^main.*\.ts$/.test(f))
        .sort()
        .map(f => `test/vm/${f}`)
const timeoutMs = process.env.VM_TEST_TIMEOUT_MS ?? "120000"

// Runs a command with stdout captured and passed to `echo` (default: this
// process's stdout, as it comes); resolves to { code, out }.
function run(cmd, cmdArgs, echo = chunk => process.stdout.write(chunk)) {
    return new Promise(resolve => {
        const child = spawn(cmd, cmdArgs, {
            cwd: root,
            stdio: ["ignore", "pipe", "inherit"],
        })
        let out = ""
        child.stdout.on("data", chunk => {
            echo(chunk)
            out += chunk
        })
        child.on("error", err => {
            console.error(`cannot run ${cmd}: ${err.message}`)
            resolve({ code: 127, out })
        })
        child.on("close", (code, signal) =>
            resolve({ code: code ?? (signal ? 128 : 1), out })
        )
    })
}

async function hostTests() {
    const dir = mkdtempSync(join(tmpdir(), "vitest-"))
    const report = join(dir, "report.json")
    const { code, out } = await run(bin("vitest"), [
        "run",
        "--reporter=default",
        "--reporter=json",
        `--outputFile.json=${report}`,
    ])
    let passed = 0
    let failed = 0
    try {
        const r = JSON.parse(readFileSync(report, "utf8"))
        passed = r.numPassedTests
        failed = r.numFailedTests
        if (code !== 0 && failed === 0) failed = r.numFailedTestSuites || 1
    } catch {
        if (code !== 0) failed = 1
    }
    rmSync(dir, { recursive: true, force: true })
    // vitest.config.ts said which brokers the fleet tests ran against
    const brokers = /^fleet tests: .*$/m.exec(
        out.replace(/\x1b\[[0-9;]*m/g, "")
    )
    if (brokers) console.log(brokers[0])
    console.log(`host: ${passed} passed, ${failed} failed (exit ${code})`)
    return { ok: code === 0 && failed === 0, passed, failed }
}

async function vmTests(entry, echo) {
    const { code, out } = await run(
        bin("devs"),
        ["run", entry, "--test", "--test-self-exit", "-T", timeoutMs],
        echo
    )
    // @devicescript/test prints "tests: <total>, pass: <pass>, error: <error>"
    const plain = out.replace(/\x1b\[[0-9;]*m/g, "")
    const m = /tests: (\d+), pass: (\d+), error: (\d+)/.exec(plain)
    let passed = 0
    let failed = 0
    let note = ""
    if (m) {
        passed = +m[2]
        failed = +m[3]
        const skipped = +m[1] - passed - failed
        if (skipped) note = `, ${skipped} skipped`
        if (+m[1] === 0) note = " (no VM test ran)"
    } else note = " (no test summary: compile error, crash or timeout)"
    const ok = code === 0 && !!m && failed === 0 && passed > 0
    if (!ok && failed === 0) failed = 1
    echo(
        `vm ${entry}: ${passed} passed, ${failed} failed${note} (exit ${code})\n`
    )
    return { ok, passed, failed }
}

/** Every VM entry, one after the other, their output to `echo`. */
async function allVmTests(echo) {
    if (entries.length === 0) {
        echo("vm: no test/vm/main*.ts entry found\n")
        return [{ ok: false, passed: 0, failed: 1 }]
    }
    const results = []
    for (const entry of entries) results.push(await vmTests(entry, echo))
    return results
}

const results = []
if (withHost) {
    let held = ""
    const vm = allVmTests(chunk => (held += chunk))
    results.push(await hostTests())
    results.push(...(await vm))
    process.stdout.write(held)
} else results.push(...(await allVmTests(c => process.stdout.write(c))))

const passed = results.reduce((s, r) => s + r.passed, 0)
const failed = results.reduce((s, r) => s + r.failed, 0)
const ok = results.every(r => r.ok)
console.log(`total: ${passed} passed, ${failed} failed`)
process.exit(ok ? 0 : 1)
