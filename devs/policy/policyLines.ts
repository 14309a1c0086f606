// The policy text a board receives and keeps, written in short lines.
// Portable: no @devicescript/* import; the host writes with policyText, the
// board reads with policyFromLines.
//
// The text is ordinary JSON (any JSON parser reads it), laid out so that no
// line is long: one top-level key per line, and a top-level array or object
// opened on its key's line with one element or member per line after it:
//
//     {
//     "version":4,
//     "board":"desk-a",
//     "site":{
//     "name":"HQ",
//     "areaCode":"025"
//     },
//     "handsets":[
//     {"extension":"8001","allow":"domestic"}
//     ]
//     }
//
// The board parses it a line at a time: the 64 KB heap is never compacted,
// and after hours of calls and pushes its largest free block can be smaller
// than a whole policy text (measured: 1.0-1.8 KB free in one piece with
// 20 KB free in all), while a line is a few hundred bytes at most.

/** The policy document as text in short lines (what the board is sent). */
export function policyText(doc: any): string {
    const lines: string[] = ["{"]
    const keys = Object.keys(doc).filter(k => doc[k] !== undefined)
    keys.forEach((k, i) => {
        const v = doc[k]
        const end = i < keys.length - 1 ? "," : ""
        const name = JSON.stringify(k) + ":"
        const isArray = Array.isArray(v)
        const members =
            v !== null && typeof v === "object"
                ? isArray
                    ? v
                    : Object.keys(v).filter(m => v[m] !== undefined)
                : []
        if (!members.length) lines.push(name + JSON.stringify(v) + end)
        else {
            lines.push(name + (isArray ? "[" : "{"))
            members.forEach((m: any, j: number) =>
                lines.push(
                    (isArray
                        ? JSON.stringify(m)
                        : JSON.stringify(m) + ":" + JSON.stringify(v[m])) +
                        (j < members.length - 1 ? "," : "")
                )
            )
            lines.push((isArray ? "]" : "}") + end)
        }
    })
    lines.push("}")
    return lines.join("\n")
}

/**
 * The policy document from its text in pieces, cut anywhere (a piece may
 * hold part of a line, or several): lines as policyText writes them, or
 * compact JSON in one line. Throws SyntaxError on text that is neither.
 */
export function policyFromLines(pieces: string[]): any {
    const out: any = {}
    let into: any = undefined
    let l = ""
    const line = () => {
        // without the "," after a value
        let n = l.length
        if (l.charAt(n - 1) === ",") n--
        const last = l.charAt(n - 1)
        l = l.slice(0, n)
        if (l === "]" || l === "}") into = undefined
        else if (Array.isArray(into)) into.push(JSON.parse(l))
        else if (n && l !== "{") {
            // `"key":value`, or `"key":[` / `"key":{` opening a container
            const open = last === "[" ? "]" : last === "{" ? "}" : ""
            const o = JSON.parse(l.charAt(0) === "{" ? l : "{" + l + open + "}")
            for (const key of Object.keys(o)) {
                ;(into || out)[key] = o[key]
                if (open) into = o[key]
            }
        }
        l = ""
    }
    for (const p of pieces) {
        let from = 0
        for (;;) {
            const nl = p.indexOf("\n", from)
            l += nl < 0 ? p.slice(from) : p.slice(from, nl)
            if (nl < 0) break
            line()
            from = nl + 1
        }
    }
    line()
    return out
}
