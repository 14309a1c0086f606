// VM benchmark (not a test): a burst of 500 call records while the broker
// is down, on a board with its policy loaded (heapProbe.ts loadBoard):
// the records go through the firmware's RecordQueue into the settings
// flash (SettingsStore), none is taken out. Prints
//   BURST <kept> <dropped> <bytes in flash> <error or ->
// then probes the free heap (HEAP lines, the last one before the
// out-of-memory restart is what was left). scripts/bench.ts runs it.
import * as ds from "@devicescript/core"
import { SettingsStore } from "../../devs/store/settingsStore"
import {
    encodeRecord,
    MAX_RECORDS,
    readRecord,
    RecordQueue,
} from "../../devs/sync/recordQueue"
import { loadBoard, probeFreeHeap } from "./heapProbe"

await loadBoard()
const kv = new SettingsStore()
const q = new RecordQueue(kv)
await q.load()
const base = 1795749600
for (let i = 1; i <= 500; ++i) {
    await q.add({
        boot: 117439385260141,
        seq: i,
        handset: "200" + (i % 4),
        number: "0101234" + (1000 + i),
        category: "domestic",
        start: base + i * 60,
        seconds: 125,
        out: true,
        dial: "179090101234" + (1000 + i),
        answered: base + i * 60 + 6,
        end: base + i * 60 + 131,
        outcome: "answered",
        code: "",
        forExt: "",
        rings: 0,
        hops: 0,
    })
    if (i % 50 === 0) await ds.sleep(0)
}
let bytes = 0
let kept = 0
for (let i = 0; i < q.count; ++i) {
    const rec = await readRecord(q, (q.head + i) % MAX_RECORDS)
    if (rec) {
        kept++
        bytes += encodeRecord(rec).length + 5
    }
}
console.log(
    "BURST " + kept + " " + q.dropped + " " + bytes + " " + (q.error || "-")
)
await probeFreeHeap()
