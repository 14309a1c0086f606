// The policy text a board receives and keeps, written in short lines.
// Portable: no @devicescript/* import; the host writes with policyText, the
// board reads with policyFromLines.
//
// The text is ordinary JSON (any JSON parser reads it), laid out so that no
// line is long: a top-level array or object is opened on a line of its own
// (`"key":[` / `"key":{`), its elements or members follow, several to a
// line, up to its closing `]` / `}`; the other top-level members go
// several to a line too. A line holds whole values and is at most
// PACK_BYTES long, unless one value alone is longer:
//
//     {
//     "version":4,"board":"desk-a",
//     "site":{
//     "name":"HQ","areaCode":"025","ipPrefix":"17909",
//     "emergency":["110","119","120","122","12395"]
//     },
//     "handsets":[
//     {"extension":"8001","allow":"domestic"},{"extension":"8002"}
//     ]
//     }
//
// The board parses it a line at a time: the 64 KB heap is never compacted,
// and after hours of calls and pushes its largest free block can be smaller
// than a whole policy text (measured: 1.0-1.8 KB free in one piece with
// 20 KB free in all), while a line is a few hundred bytes at most. Lines of
// about one flash chunk (200 bytes) keep the stored policy in as few
// settings entries as the text in one piece would take.

/** Longest line policyText packs values into (with its "\n": one flash chunk). */
export const PACK_BYTES = 190

function utf8Length(s: string): number {
    let n = 0
    for (let i = 0; i < s.length; ++i) {
        const c = s.charCodeAt(i)
        n += c < 0x80 ? 1 : c < 0x800 ? 2 : 3
    }
    return n
}

/** `items` joined with "," into lines of at most PACK_BYTES, onto `out`. */
function pack(items: string[], out: string[], last: string) {
    let line = ""
    for (const it of items) {
        if (line && utf8Length(line) + 1 + utf8Length(it) > PACK_BYTES) {
            out.push(line + ",")
            line = ""
        }
        line = line ? line + "," + it : it
    }
    if (line) out.push(line + last)
}

/** The policy document as text in short lines (what the board is sent). */
export function policyText(doc: any): string {
    const lines: string[] = ["{"]
    const keys = Object.keys(doc).filter(k => doc[k] !== undefined)
    let run: string[] = []
    keys.forEach((k, i) => {
        const v = doc[k]
        const name = JSON.stringify(k) + ":"
        const isArray = Array.isArray(v)
        const members =
            v !== null && typeof v === "object"
                ? isArray
                    ? v
                    : Object.keys(v).filter(m => v[m] !== undefined)
                : []
        if (!members.length) {
            run.push(name + JSON.stringify(v))
            return
        }
        pack(run, lines, ",")
        run = []
        lines.push(name + (isArray ? "[" : "{"))
        pack(
            members.map((m: any) =>
                isArray
                    ? JSON.stringify(m)
                    : JSON.stringify(m) + ":" + JSON.stringify(v[m])
            ),
            lines,
            ""
        )
        lines.push((isArray ? "]" : "}") + (i < keys.length - 1 ? "," : ""))
    })
    pack(run, lines, "")
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
        else if (Array.isArray(into))
            for (const x of JSON.parse("[" + l + "]")) into.push(x)
        else if (n && l !== "{") {
            // `"key":value,...`, or `"key":[` / `"key":{` opening a container
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
