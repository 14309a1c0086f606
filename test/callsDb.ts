// The records a collector stored in DIR/calls.sqlite, for the e2e tests
// ([] before it created the file). Read-only beside the running collector
// (WAL).

import { existsSync } from "node:fs"
import { join } from "node:path"
import { CallStore } from "../src/fleet/callStore"
import { CallRecord, isLongDistanceRecord } from "../src/fleet/topics"

export function recordsIn(dir: string): CallRecord[] {
    const file = join(dir, "calls.sqlite")
    if (!existsSync(file)) return []
    const s = new CallStore(file, { readonly: true })
    try {
        return s.db
            .prepare("SELECT record FROM calls ORDER BY start, id")
            .all()
            .map((r: any) => JSON.parse(r.record))
    } finally {
        s.close()
    }
}

/** The long-distance register (rule (一)4): a view of the records. */
export function registerIn(dir: string): CallRecord[] {
    return recordsIn(dir).filter(isLongDistanceRecord)
}
