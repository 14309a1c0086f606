// `npm run bench [-- --json]`: the figures for the issue notes.
//   - engine cost per key press in Node, for a 10- and a 1000-handset policy
//   - the same in the DeviceScript VM (normal run: no --test GC stress)
//   - bytecode image size of the firmware (devs build --stats)
//   - share of a realistic number corpus decided on its last digit (no timer),
//     and of valid international numbers (every country, libphonenumber-js)
//   - policy validation for 2,000 handsets in 200 departments and 10 times as many
//   - start-up: `dialguard --help` and `decide` against `node -e 0`
//   - boards side by side: N simulated boards started at once in one
//     process, until all are ready, and their memory; whole sites of N
//     boards (policy shares, syncing with a broker): boot time, memory
//   - fleet: policy push → applied per board and call end → counters
//     visible (the simulated board synced to a mosquitto it starts),
//     counters messages parsed and call records stored per second
// Timings are reported, never asserted. `-- --host` gives the Node figures
// only (no build, VM, simulator or broker: seconds instead of minutes).
import { execFileSync } from "node:child_process"
import { readFileSync } from "node:fs"
import { performance } from "node:perf_hooks"
import { compileDialPlan } from "../devs/engine/dialPlan"
import { decideDigits, DialSession } from "../devs/engine/dialSession"
import { validatePolicy } from "../devs/policy/validate"
import { makeCorpus, makePolicy } from "../test/fixtures/corpus"
import {
    fixedLengthCodes,
    validInternationalNumbers,
} from "../test/fixtures/internationalNumbers"
import { Rng } from "../test/helpers"
import { measureCollector, measureCountersParsing } from "../src/fleet/bench"
import { fleetFigures, Spread } from "./fleetBench"
import { boardsFigures } from "./boardsBench"
import { simFigures } from "./simBench"
import { sipFigures } from "./sipBench"
import { startupFigures } from "./startupBench"
import { runVmProgram } from "./vmRun"

const json = process.argv.includes("--json")
const hostOnly = process.argv.includes("--host")
const devs = (args: string[]) =>
    execFileSync("npx", ["devs", ...args], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
    })

function nodeEngine(handsets: number) {
    const v = validatePolicy(makePolicy(handsets))
    if (!v.policy) throw new Error(v.errors.join("\n"))
    const t0 = performance.now()
    const plan = compileDialPlan(v.policy)
    const compileMs = performance.now() - t0
    const corpus = makeCorpus(50000, 7, handsets)
    const session = new DialSession(plan, plan.handsets[3])
    let keys = 0
    const t1 = performance.now()
    for (let round = 0; round < 4; ++round)
        for (const n of corpus) {
            session.start()
            for (let k = 0; k < n.length; ++k) {
                keys++
                if (session.press(n.charAt(k)).decision) break
            }
            if (!session.decision) session.expire()
        }
    const ns = ((performance.now() - t1) * 1e6) / keys
    return {
        handsets,
        compileMs: Math.round(compileMs * 10) / 10,
        trieNodes: plan.trie.count,
        trieBytes: plan.trie.bytes(),
        ruleBytes: plan.rules.bytes() + plan.lists.bytes(),
        keys,
        nsPerKey: Math.round(ns),
    }
}

/** How often the number is final at its last digit, i.e. no inter-digit timer is waited for. */
function decidedOnLastDigit() {
    const v = validatePolicy(makePolicy(100))
    const plan = compileDialPlan(v.policy!)
    const h = plan.handsets[3]
    const corpus = makeCorpus(20000, 11, 100)
    const byCategory: Record<string, { n: number; onDigit: number }> = {}
    let onDigit = 0
    for (const n of corpus) {
        const d = decideDigits(plan, h, n)
        const c = (byCategory[d.category] ??= { n: 0, onDigit: 0 })
        c.n++
        if (d.decidedOn === "digit") {
            c.onDigit++
            onDigit++
        }
    }
    return {
        numbers: corpus.length,
        share: Math.round((onDigit / corpus.length) * 1000) / 10,
        byCategory,
    }
}

/**
 * Valid international numbers (every country and length libphonenumber-js
 * knows, China's own +86 left out) dialled by an international handset:
 * how many go out at their last key, among all and among those of calling
 * codes whose numbers have one fixed length.
 */
function internationalOnLastDigit() {
    const plan = compileDialPlan(validatePolicy(makePolicy(10)).policy!)
    const fixed = fixedLengthCodes()
    const all = { numbers: 0, onDigit: 0 }
    const fixedLength = { numbers: 0, onDigit: 0 }
    const session = new DialSession(plan, plan.handsets[3])
    for (const n of validInternationalNumbers(new Rng(5))) {
        if (n.cc === "86") continue
        const keys = "00" + n.cc + n.nn
        session.start()
        let at = 0
        for (let k = 0; k < keys.length && !at; ++k)
            if (session.press(keys.charAt(k)).decision) at = k + 1
        const onDigit = at === keys.length ? 1 : 0
        all.numbers++
        all.onDigit += onDigit
        if (fixed.has(n.cc)) {
            fixedLength.numbers++
            fixedLength.onDigit += onDigit
        }
    }
    const pct = (c: { numbers: number; onDigit: number }) =>
        Math.round((c.onDigit / c.numbers) * 1000) / 10
    return {
        all: { ...all, share: pct(all) },
        fixedLength: { ...fixedLength, share: pct(fixedLength) },
    }
}

/**
 * validatePolicy on 2,000 handsets in 200 departments and on ten times as
 * many (median of 5 runs): linear cost makes the second ~10 times the first.
 */
function validation() {
    return [
        [2000, 200],
        [20000, 2000],
    ].map(([h, d]) => {
        const departments = []
        for (let i = 0; i < d; ++i)
            departments.push({
                id: "d" + i,
                name: "",
                floor: i % 30,
                x: i,
                y: 0,
            })
        const handsets = []
        for (let i = 0; i < h; ++i)
            handsets.push({
                extension: "" + (200000 + i),
                department: "d" + (i % d),
            })
        const raw = {
            version: 1,
            site: { name: "Bench", areaCode: "025" },
            departments,
            handsets,
        }
        const ms: number[] = []
        for (let run = 0; run < 5; ++run) {
            const t0 = performance.now()
            const v = validatePolicy(raw)
            ms.push(performance.now() - t0)
            if (!v.policy) throw new Error(v.errors.slice(0, 3).join("\n"))
        }
        ms.sort((a, b) => a - b)
        return { handsets: h, departments: d, ms: Math.round(ms[2] * 10) / 10 }
    })
}

function bytecode() {
    const out = devs(["build", "devs/main.ts", "--stats"])
    const m = /bytecode: ([\d.]+)kb/.exec(out)
    // The VM refuses an image whose function bytecode ends at or past
    // 64 KB (runtime/devicescript/verify.c, check 1051): the header's
    // functions_data section (offset 8 of the sections after the 32-byte
    // fixed header) says where it ends.
    const img = readFileSync(".devicescript/bin/bytecode.devs")
    const end = img.readUInt32LE(40) + img.readUInt32LE(44)
    return {
        firmwareKb: m ? parseFloat(m[1]) : NaN,
        functionsEnd: end,
        functionsRoom: 65536 - end,
    }
}

const mmm = (s: Spread) =>
    `min ${s.minMs} / median ${s.medianMs} / max ${s.maxMs} ms (${s.samples})`

function printFleet(f: any) {
    if (f.sim.error) console.log("fleet " + f.sim.error)
    else {
        for (const [board, s] of Object.entries<Spread>(f.sim.push.perBoard))
            console.log(
                `fleet policy push → applied on board ${board}: ${mmm(s)} (policy message on the broker → the board's state says that version)`
            )
        console.log(
            `fleet \`dialguard policy push\` command: ${mmm(f.sim.push.cliMs)} (start to exit, Node start included)`
        )
        console.log(
            `fleet call end → counters visible to a subscriber: ${mmm(f.sim.counters)} (calls 2.5 s apart; a board publishes a month's counters at most every 2 s)`
        )
        console.log(
            `fleet call records through mosquitto into \`dialguard collect\`: ${f.sim.collector.recordsPerSecond} records/s (${f.sim.collector.records})`
        )
    }
    const c = f.countersParsing
    console.log(
        `fleet counters messages parsed and summed: ${c.messagesPerSecond} messages/s (${c.handsetsPerMessage} handsets, ${c.bytesPerMessage} B each; no network)`
    )
    const r = f.collector
    console.log(
        `fleet collector, no network: ${r.recordsPerSecond} new records/s (checked, appended, fsync each), ${r.duplicatesPerSecond} resends/s recognised`
    )
    const v = f.collectorSigned
    console.log(
        `fleet collector --key, no network: ${v.recordsPerSecond} new signed records/s verified (HMAC, counter), ${v.duplicatesPerSecond} resends/s`
    )
}

/**
 * Free heap of the whole firmware (test/bench/probedMain.ts) with 4 ports
 * syncing with a real broker, a policy applied and a call of each kind
 * made, office rules (issue 12: hours, call length, private prefix) off
 * and on: the first step of test/load.e2e.test.ts and its heap probe:
 * the KB it took in 256-byte blocks + the KB the VM still counted free in
 * smaller holes at its out-of-memory end, `runs` times each.
 */
function firmwareHeap(runs: number) {
    const once = (rules: boolean): string => {
        execFileSync(
            "npx",
            ["vitest", "run", "test/load.e2e.test.ts", "-t", "baseline heap"],
            {
                stdio: "ignore",
                env: {
                    ...process.env,
                    DIALGUARD_LOAD_OFFICE_RULES: rules ? "1" : "",
                },
            }
        )
        const m = JSON.parse(
            readFileSync(".devicescript/sim/load-e2e.measurements.json", "utf8")
        )
        return `${m.heapFreeBeforeKb} + ${m.heapHolesBeforeKb}`
    }
    const off: string[] = []
    const on: string[] = []
    for (let i = 0; i < runs; ++i) {
        off.push(once(false))
        on.push(once(true))
    }
    return { rulesOffKb: off, rulesOnKb: on }
}

/** Bytecode, VM, simulator and fleet figures (into `result`). */
async function boardFigures(result: any) {
    result.bytecode = bytecode()
    try {
        const line = await runVmProgram(
            "test/bench/vmBench.ts",
            "BENCH ",
            180000
        )
        result.vm = JSON.parse(line)
        // Free GC heap in KB: nothing loaded, and a board with a 50-handset
        // site policy and 4 ports' counters (test/bench/heapProbe.ts).
        const free = async (entry: string) =>
            parseFloat(await runVmProgram(entry, "HEAP ", 60000, true))
        const empty = await free("test/bench/heapEmpty.ts")
        const board = await free("test/bench/heapBoard.ts")
        // 500 call records while the broker is down (recordBurst.ts):
        // what the flash keeps, what is dropped, the heap left
        const burst = (
            await runVmProgram("test/bench/recordBurst.ts", "BURST ", 300000)
        ).split(" ")
        // issue 13: signing one board message in the VM (Sync.publish)
        result.sign = JSON.parse(
            await runVmProgram("test/bench/signBench.ts", "SIGN ", 120000)
        )
        result.heap = {
            usableKb: empty,
            boardFreeKb: board,
            boardUsesKb: empty - board,
            burst500: {
                keptRecords: Number(burst[0]),
                droppedRecords: Number(burst[1]),
                flashBytes: Number(burst[2]),
                flashError: burst[3],
                freeKb: await free("test/bench/recordBurst.ts"),
            },
        }
    } catch (e) {
        result.vm = { error: (e as Error).message }
    }
    try {
        result.firmwareHeap = firmwareHeap(2)
    } catch (e) {
        result.firmwareHeap = { error: (e as Error).message }
    }
    try {
        result.sim = await simFigures()
    } catch (e) {
        result.sim = { error: (e as Error).message }
    }
    try {
        result.sip = await sipFigures()
    } catch (e) {
        result.sip = { error: (e as Error).message }
    }
    try {
        result.boards = await boardsFigures()
    } catch (e) {
        result.boards = { error: (e as Error).message }
    }
    result.fleet = {
        countersParsing: measureCountersParsing(),
        collector: measureCollector(),
        // issue 13: the same records signed, checked as `collect --key` does
        collectorSigned: measureCollector({ signed: true }),
    }
    try {
        result.fleet.sim = await fleetFigures()
    } catch (e) {
        result.fleet.sim = { error: (e as Error).message }
    }
}

async function main() {
    const result: any = {
        startup: startupFigures(),
        node: [nodeEngine(10), nodeEngine(1000)],
        corpus: decidedOnLastDigit(),
        international: internationalOnLastDigit(),
        validation: validation(),
    }
    if (!hostOnly) await boardFigures(result)
    if (json) {
        console.log(JSON.stringify(result, null, 2))
        return
    }
    const st = result.startup
    console.log(
        `start \`dialguard --help\` median ${st.helpMs.medianMs} ms, \`dialguard decide\` ${st.decideMs.medianMs} ms, \`node -e 0\` ${st.nodeMs.medianMs} ms: ${st.helpRatio}x / ${st.decideRatio}x a bare Node start (${st.runs} runs each)`
    )
    for (const r of result.node)
        console.log(
            `node  ${r.handsets} handsets: ${r.nsPerKey} ns/key (${r.keys} keys), plan ${r.trieNodes} nodes / ${r.trieBytes} B (+ ${r.ruleBytes} B rules and lists), compile ${r.compileMs} ms`
        )
    if (!result.vm) {
        printHost(result)
        return
    }
    if (result.vm.error) console.log("vm    " + result.vm.error)
    else
        for (const r of [result.vm.small, result.vm.large])
            console.log(
                `vm    ${r.handsets} handsets: ${r.usPerKey} µs/key (${r.keys} keys), plan ${r.trieNodes} nodes / ${r.trieBytes} B, compile ${r.compileMs} ms`
            )
    if (result.sign)
        console.log(
            `vm    signing a board message (n, HMAC-SHA256 with the board key): state ${result.sign.state.ms} ms, counters (${result.sign.counters.bytes} B) ${result.sign.counters.ms} ms, call record ${result.sign.record.ms} ms`
        )
    if (result.heap) {
        const h = result.heap
        console.log(
            `heap  VM GC heap usable ${h.usableKb} KB; a board with a 50-handset policy loaded uses ${h.boardUsesKb} KB, leaves ${h.boardFreeKb} KB`
        )
        const b = h.burst500
        console.log(
            `heap  500 call records with the broker down: ${b.keptRecords} kept in flash (${b.flashBytes} B), ${b.droppedRecords} dropped and counted, flash error ${b.flashError}; ${b.freeKb} KB heap free`
        )
    }
    const fh = result.firmwareHeap
    if (fh?.error) console.log("heap  " + fh.error)
    else if (fh)
        console.log(
            `heap  whole firmware, 4 ports syncing, free KB in 256-byte blocks + in smaller holes: ${fh.rulesOffKb.join(", ")} with the office rules off; ${fh.rulesOnKb.join(", ")} with them on (one run each)`
        )
    if (result.sim.error) console.log("sim   " + result.sim.error)
    else {
        const k = result.sim.keyToDial
        const r = result.sim.ring
        console.log(
            `sim   last key → dial order on the SIP line: median ${k.medianMs} ms, max ${k.maxMs} ms (${k.samples} calls, bus round trip included)`
        )
        console.log(
            `sim   ring cadence edges vs 1 s/4 s: mean error ${r.meanAbsMs} ms, max ${r.maxAbsMs} ms (${r.edges} edges)`
        )
    }
    if (result.sip.error) console.log("sip   " + result.sip.error)
    else {
        const f = result.sip
        const sp = (x: any) =>
            `min ${x.minMs} / median ${x.medianMs} / max ${x.maxMs} ms (${x.samples})`
        console.log(
            `sip   REGISTER → response (UDP, Kamailio): ${sp(f.registerMs)}`
        )
        console.log(
            `sip   last key → INVITE on the wire: ${sp(f.lastKeyToInviteMs)}`
        )
        console.log(
            `sip   INVITE → 180 from the SIPp trunk through Kamailio: ${sp(f.inviteTo180Ms)}`
        )
        console.log(
            `sip   last ring (on) → 302: ${sp(f.lastRingTo302Ms)} (ring cycle ${f.ringCycleMs} ms: the redirect is due at its end)`
        )
        console.log(
            `sip   302 → INVITE at the next extension (SIPp follows it): ${sp(f.redirectToNextInviteMs)}`
        )
    }
    if (result.boards.error) console.log("boards " + result.boards.error)
    else
        for (const f of result.boards.figures)
            console.log(
                `boards ${f.boards} of the real firmware started at once in one process: all ready in ${f.startMs} ms, ${f.rssPerBoardMB} MB RSS each`
            )
    if (!result.boards.error)
        for (const f of result.boards.sites)
            console.log(
                `site  ${f.boards} board(s), ${f.handsets} handsets, policy shares, syncing: booted in ${f.bootMs} ms, ${f.rssPerBoardMB} MB RSS per board`
            )
    printFleet(result.fleet)
    const bc = result.bytecode
    console.log(
        `image firmware bytecode ${bc.firmwareKb} KB; function bytecode ends at byte ${bc.functionsEnd} of the VM's 65536: ${bc.functionsRoom} B left`
    )
    printHost(result)
}

/** The figures `--host` measures too. */
function printHost(result: any) {
    const c = result.corpus
    console.log(
        `corpus ${c.share}% of ${c.numbers} numbers decided on their last digit (no timer)`
    )
    for (const cat of Object.keys(c.byCategory)) {
        const b = c.byCategory[cat]
        console.log(`       ${cat.padEnd(14)} ${b.onDigit}/${b.n} on digit`)
    }
    const i = result.international
    console.log(
        `intl  ${i.fixedLength.share}% of ${i.fixedLength.numbers} valid numbers of fixed-length countries decided on their last digit; ${i.all.share}% of all ${i.all.numbers} (every country and length)`
    )
    for (const v of result.validation)
        console.log(
            `valid policy validation, ${v.handsets} handsets in ${v.departments} departments: ${v.ms} ms`
        )
}

main().catch(e => {
    console.error("bench: " + e.message)
    process.exit(1)
})
