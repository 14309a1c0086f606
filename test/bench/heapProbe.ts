// DeviceScript VM benchmark helper (not a test): how much GC heap is left.
// Allocates 256-byte buffers until the VM runs out of memory, printing a line
// after each: the last number printed is the free heap in KB. Entries:
// heapBoard.ts (a board with its policy loaded) and heapEmpty.ts (nothing
// loaded: the usable heap as a whole).
import * as ds from "@devicescript/core"
import { checkPolicyText, compile } from "../../devs/app/policyLoader"
import { CallCounters } from "../../devs/phone/counters"
import { makePolicy } from "../fixtures/corpus"

const keep: any[] = []

/** Loads what a board holds: a 50-handset site policy, 4 ports, their counters. */
export async function loadBoard() {
    const text = JSON.stringify(makePolicy(50))
    const ports = ["2000", "2001", "2002", "2003"]
    const pause = async () => await ds.sleep(0)
    keep.push(await compile(await checkPolicyText([text], pause), ports, pause))
    const counters = new CallCounters()
    for (const p of ports) {
        counters.recordCall(p, "2026-11", "local", 60)
        counters.recordBlocked(p, "2026-11", "premium")
        counters.recordIncoming(p, "2026-11", "onTime")
    }
    keep.push(counters)
}

export async function probeFreeHeap() {
    await ds.sleep(0)
    // Quarter-KB steps: a fragmented heap may have room for many small
    // objects but no contiguous kilobyte.
    console.log("HEAP 0")
    for (let q = 1; q <= 1024; ++q) {
        keep.push(Buffer.alloc(256))
        console.log("HEAP " + q / 4)
        await ds.sleep(0)
    }
}
