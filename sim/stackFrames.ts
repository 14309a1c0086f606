// Source positions for the DeviceScript VM's stack frames, from the debug
// info `devs build` writes (bytecode-dbg.json), as `devs run` shows them:
// "at fn_F3 (pc:12)" and "pc=12 @ fn_F3" become
// "at fn [as F3_pc12] (devs/main.ts:10:5)".

export interface DebugInfo {
    functions: { name: string; startpc: number }[]
    /** Triples (source position, length, pc), each a delta from the previous. */
    srcmap: number[]
    /** The sources, concatenated, are the position space. */
    sources: { path: string; length: number; text: string }[]
}

/** The last index i with sorted[i] <= v (0 if none). */
function lastAtMost(sorted: number[], v: number) {
    let lo = 0
    let hi = sorted.length - 1
    while (lo < hi) {
        const mid = (lo + hi + 1) >> 1
        if (sorted[mid] <= v) lo = mid
        else hi = mid - 1
    }
    return lo
}

export function stackFrameResolver(dbg: DebugInfo): (line: string) => string {
    const pcs: number[] = []
    const positions: number[] = []
    for (let i = 0, pc = 0, pos = 0; i + 2 < dbg.srcmap.length; i += 3) {
        pos += dbg.srcmap[i]
        pc += dbg.srcmap[i + 2]
        positions.push(pos)
        pcs.push(pc)
    }
    const fileStart: number[] = []
    let off = 0
    for (const s of dbg.sources) {
        fileStart.push(off)
        off += s.length
    }
    const where = (pos: number) => {
        const f = lastAtMost(fileStart, pos)
        const src = dbg.sources[f]
        if (!src) return `(pos=${pos})`
        const before = src.text.slice(0, pos - fileStart[f]).split("\n")
        const col = before[before.length - 1].length + 1
        return `${src.path}:${before.length}:${col}`
    }
    const frame = (pcText: string, name: string, fnIndex: string) => {
        const fn = dbg.functions[Number(fnIndex)]
        let info = `as F${fnIndex}_pc${pcText}`
        if (!fn) return `at ${name} [${info}] (<anonymous>)`
        if (name && name !== fn.name) info += "_mismatch_" + fn.name
        const pc = fn.startpc + Math.max(0, Number(pcText) - 1)
        return `at ${name} [${info}] (${where(positions[lastAtMost(pcs, pc)] ?? 0)})`
    }
    return line =>
        line
            .replace(/\bpc=(\d+) @ (\w*)_F(\d+)/g, (_, pc, name, fn) =>
                frame(pc, name, fn)
            )
            .replace(/at\s+(\w*)_F(\d+)\s+\(pc:(\d+)\)/g, (_, name, fn, pc) =>
                frame(pc, name, fn)
            )
}
