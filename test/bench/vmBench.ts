// DeviceScript VM benchmark (not a test): engine cost per key press for a
// 10- and a 1000-handset policy, measured in a normal VM run (no --test, so
// no GC stress). Started by scripts/bench.ts, which parses the line
// starting with "BENCH " this prints.
import * as ds from "@devicescript/core"
import { PlanCompiler } from "../../devs/engine/dialPlan"
import { DialSession } from "../../devs/engine/dialSession"
import { extensionList, makeCorpus, makePolicy } from "../fixtures/corpus"

/** Dials one number key by key; returns the keys pressed. */
function dialOne(session: DialSession, n: string): number {
    session.start()
    for (let k = 0; k < n.length; ++k)
        if (session.press(n.charAt(k)).decision) return k + 1
    session.expire()
    return n.length
}

/**
 * A board's view of a site with `handsets` extensions: the records of 10
 * handsets (a board serves a few) and every extension of the site as one
 * string, as a board policy carries them; a thousand handset objects would
 * not fit the ESP32's 64 KB heap, and a board never needs them.
 */
async function measure(handsets: number) {
    const policy = makePolicy(10)
    const all = extensionList(handsets)
    await ds.sleep(0)
    const t0 = ds.millis()
    const c = new PlanCompiler(policy, undefined, all)
    while (!c.step()) await ds.sleep(0)
    const plan = c.result()
    const compileMs = ds.millis() - t0
    // Generated in slices: one fiber slice cannot make 400 numbers.
    const corpus: string[] = []
    for (let part = 0; part < 5; ++part) {
        for (const n of makeCorpus(50, 7 + part, handsets)) corpus.push(n)
        await ds.sleep(0)
    }
    const session = new DialSession(plan, plan.handsets[3]) // class international
    // ds.millis() only advances at an await, and a fiber must yield within
    // ~10k loop turns: time batches of numbers between sleep(0)s, and
    // subtract the cost of the same batches with no work in them.
    const BATCH = 4
    let keys = 0
    let busyMs = 0
    let idleMs = 0
    for (let i = 0; i < corpus.length; i += BATCH) {
        await ds.sleep(0)
        const t1 = ds.millis()
        for (let j = i; j < i + BATCH && j < corpus.length; ++j)
            keys += dialOne(session, corpus[j])
        await ds.sleep(0)
        const t2 = ds.millis()
        await ds.sleep(0)
        busyMs += t2 - t1
        idleMs += ds.millis() - t2
    }
    return {
        handsets,
        compileMs,
        trieBytes: plan.trie.bytes(),
        trieNodes: plan.trie.count,
        keys,
        usPerKey: Math.round(((busyMs - idleMs) * 1000) / keys),
    }
}

const small = await measure(10)
const large = await measure(1000)
console.log("BENCH " + JSON.stringify({ small, large }))
