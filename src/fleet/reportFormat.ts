// The report as text tables for the terminal and as CSV files for finance
// (FILE-handsets.csv, FILE-departments.csv, FILE-long-distance.csv).

import { existsSync, statSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { asText, Cell, toCsv } from "./csv"
import {
    CATEGORY_ZH,
    NAMES,
    Report,
    Row,
    duration,
    minutes,
    percent,
    usedCategories,
} from "./report"
import { renderTable } from "./table"
import { renderRules, rulesCsv } from "./reportRules"

const callsAndMinutes = (n: number, s: number) =>
    n === 0 ? "-" : `${n} / ${minutes(s).toFixed(1)}`

const count = (n: number | undefined) => String(n || "-")

function rowTail(r: Row): string[] {
    return [
        count(r.premium),
        count(r.otherBlocked),
        ...NAMES.outcomes.map(o => count(r.incoming[o])),
        count(r.callsEnded),
        percent(r.callerOnTimePercent),
    ]
}

// the handset's view (incoming), then the caller's (caller): INCOMING_LEGEND
const TAIL_HEADER = [
    "premium",
    "other blocked",
    "on time",
    "late",
    "forwarded",
    "missed",
    "ended",
    "≤3 rings",
]

/** What the incoming columns mean, under the handsets table. */
export const INCOMING_LEGEND = [
    "Incoming calls (rule (一)8, answer within three rings):",
    "  the handset's view, who let it ring: on time = answered within 3 of its own rings, late = later,",
    "    forwarded = passed on unanswered, missed = the caller gave up while it rang;",
    "  the caller's view: ended = calls that ended at the handset (answered or given up), ≤3 rings = the",
    "    share of them answered within 3 rings of the caller's first ring, counting every earlier hop's rings.",
]

/** The site's calls from the caller's view, one line. */
function siteIncoming(t: Row): string {
    if (t.callsEnded === 0)
        return "Site: no incoming call ended at a handset this month."
    const c = t.caller
    return `Site: ${t.callsEnded} incoming calls ended; ${c["onTime"]} answered within 3 rings of the caller's first ring (${percent(t.callerOnTimePercent)}), ${c["late"]} later, ${c["missed"]} given up by the caller.`
}

export function renderReportText(r: Report): string {
    const out: string[] = []
    const policy = r.policy
        ? `; policy ${r.policy.file} (version ${r.policy.version})`
        : ""
    out.push(
        `DialGuard report: site ${r.site}, month ${r.month} (Beijing time)`,
        `boards: ${r.boards.join(", ") || "none"}${policy}`,
        ""
    )
    const rows: Row[] = [...r.handsets]
    const cats = usedCategories(rows)
    const catHeader = [...cats, "total"]
    const catCells = (x: Row) => [
        ...cats.map(c => callsAndMinutes(x.calls[c] ?? 0, x.seconds[c] ?? 0)),
        callsAndMinutes(x.totalCalls, x.totalSeconds),
    ]
    const nameCols = r.policy ? 3 : 1
    const right = (first: number, n: number) =>
        Array.from({ length: n }, (_, i) => first + i)

    out.push(
        "Handsets (calls / minutes; premium = blocked premium-line attempts, rule (一)5)"
    )
    if (r.handsets.length === 0) out.push("  no counters for this month", "")
    else {
        const header = r.policy
            ? ["handset", "name", "department", ...catHeader, ...TAIL_HEADER]
            : ["handset", ...catHeader, ...TAIL_HEADER]
        const body = r.handsets.map(h => [
            h.extension,
            ...(r.policy ? [h.name, h.departmentName || h.department] : []),
            ...catCells(h),
            ...rowTail(h),
        ])
        out.push(
            renderTable(
                header,
                body,
                right(nameCols, catHeader.length + TAIL_HEADER.length)
            )
        )
    }

    out.push(...INCOMING_LEGEND, siteIncoming(r.total), "")

    if (r.departments) {
        out.push("Departments")
        const header = ["department", "handsets", ...catHeader, ...TAIL_HEADER]
        const body = r.departments.map(d => [
            d.name ? `${d.name} (${d.id})` : d.id,
            String(d.handsets),
            ...catCells(d),
            ...rowTail(d),
        ])
        out.push(
            renderTable(
                header,
                body,
                right(1, 1 + catHeader.length + TAIL_HEADER.length)
            )
        )
    } else
        out.push(
            "Departments: give --policy FILE to map extensions to departments",
            ""
        )

    out.push("Premium-line attempts (rule (一)5; blocked, never dialled)")
    if (r.premium.length === 0) out.push("  none", "")
    else
        out.push(
            renderTable(
                ["handset", "name", "department", "attempts"],
                r.premium.map(p => [
                    p.extension,
                    p.name,
                    p.department,
                    String(p.attempts),
                ]),
                [3]
            )
        )

    if (!r.register)
        out.push(
            "Long-distance register (rule (一)4): not included; give --calls DIR (the folder `dialguard collect` writes)"
        )
    else {
        const reg = r.register
        const flagged = reg.calls.some(c => c.owner || c.private)
        out.push(
            `Long-distance register (rule (一)4), ${reg.calls.length} calls from ${reg.file}`
        )
        if (reg.calls.length)
            out.push(
                renderTable(
                    [
                        "start (Beijing)",
                        "handset",
                        "department",
                        "number",
                        "category",
                        "duration",
                        // issue 12: a code's owner, a private call
                        ...(flagged ? ["note"] : []),
                    ],
                    reg.calls.map(c => [
                        c.time || "(time unknown)",
                        c.handset,
                        c.department,
                        c.number,
                        c.category,
                        duration(c.seconds),
                        ...(flagged ? [callNote(c)] : []),
                    ]),
                    [5]
                ).trimEnd()
            )
        if (reg.counted !== reg.calls.length)
            out.push(
                `note: the boards counted ${reg.counted} long-distance calls this month, the register holds ${reg.calls.length}` +
                    (reg.counted > reg.calls.length
                        ? " (was `dialguard collect` running all month?)"
                        : "")
            )
    }
    out.push(...renderRules(r.rules))
    for (const u of r.unknownMonth)
        out.push(
            `note: board ${u.board} also counted ${u.calls} calls before it knew the date (month "unknown"); they are not in this month`
        )
    return out.join("\n").replace(/\n*$/, "\n")
}

/** Issue 12: "code: 王经理", "private", both, or "". */
function callNote(c: { owner?: string; private?: boolean }): string {
    const parts: string[] = []
    if (c.owner) parts.push("code: " + c.owner)
    if (c.private) parts.push("private")
    return parts.join(", ")
}

// ---------------------------------------------------------------- CSV

function catLabel(c: string): string {
    return CATEGORY_ZH[c] ? `${CATEGORY_ZH[c]} ${c}` : c
}

function csvCounts(r: Row): Cell[] {
    const cells: Cell[] = []
    for (const c of NAMES.categories)
        cells.push(r.calls[c] ?? 0, minutes(r.seconds[c] ?? 0))
    cells.push(r.totalCalls, minutes(r.totalSeconds), r.premium)
    for (const code of NAMES.codes)
        if (code !== "premium") cells.push(r.blocked[code] ?? 0)
    cells.push(
        r.incoming["onTime"] ?? 0,
        r.incoming["late"] ?? 0,
        r.onTimePercent,
        r.incoming["forwarded"] ?? 0,
        r.incoming["missed"] ?? 0,
        r.callsEnded,
        r.caller["onTime"] ?? 0,
        r.caller["late"] ?? 0,
        r.caller["missed"] ?? 0,
        r.callerOnTimePercent
    )
    return cells
}

function csvCountHeader(): string[] {
    const h: string[] = []
    for (const c of NAMES.categories)
        h.push(`${catLabel(c)} calls`, `${catLabel(c)} minutes`)
    h.push(
        "总计 total calls",
        "总计 total minutes",
        "声讯台拦截 premium attempts"
    )
    for (const code of NAMES.codes)
        if (code !== "premium") h.push(`blocked ${code}`)
    h.push(
        "三声内接听 answered within 3 rings",
        "answered later",
        "within 3 rings %",
        "转接 forwarded",
        "未接 missed",
        "来电 calls ended here",
        "来电三声内接听 answered within 3 rings of the caller's first ring",
        "caller: answered later",
        "caller: gave up",
        "caller: within 3 rings %"
    )
    return h
}

export function handsetsCsv(r: Report): string {
    const header = [
        "分机 handset",
        "名称 name",
        "department",
        "部门 department name",
        "boards",
        ...csvCountHeader(),
    ]
    const rows = r.handsets.map(h => [
        h.extension,
        h.name,
        h.department,
        h.departmentName,
        h.boards.join(" "),
        ...csvCounts(h),
    ])
    return toCsv(header, rows)
}

export function departmentsCsv(r: Report): string {
    const header = [
        "department",
        "部门 department name",
        "handsets",
        ...csvCountHeader(),
    ]
    const rows = (r.departments ?? []).map(d => [
        d.id,
        d.name,
        d.handsets,
        ...csvCounts(d),
    ])
    return toCsv(header, rows)
}

export function registerCsv(r: Report): string {
    const header = [
        "开始时间 start (Beijing)",
        "分机 handset",
        "部门 department",
        "号码 number",
        "类别 category",
        "seconds",
        "时长 duration",
        "started minutes",
        "board",
        "id",
        "code owner",
        "private",
    ]
    const rows = (r.register?.calls ?? []).map(c => [
        c.time,
        c.handset,
        c.department,
        asText(c.number),
        `${CATEGORY_ZH[c.category]} ${c.category}`,
        c.seconds,
        duration(c.seconds),
        Math.ceil(c.seconds / 60),
        c.board,
        c.id,
        c.owner ?? "",
        c.private ? "private" : "",
    ])
    return toCsv(header, rows)
}

/** The CSV files for `base` ("nov.csv" → nov-handsets.csv, ...): written, listed. */
/**
 * What the CSV files' names start with: FILE without its ".csv", or for a
 * folder (a path ending in "/", or an existing directory) DIR/<site>-<month>.
 */
export function csvStem(target: string, r: Report): string {
    const folder =
        /[\\/]$/.test(target) ||
        (existsSync(target) && statSync(target).isDirectory())
    return folder
        ? join(target, `${r.site}-${r.month}`)
        : target.replace(/\.csv$/i, "")
}

export function writeReportCsv(r: Report, target: string): string[] {
    const stem = csvStem(target, r)
    const files: [string, string][] = [[`${stem}-handsets.csv`, handsetsCsv(r)]]
    if (r.departments)
        files.push([`${stem}-departments.csv`, departmentsCsv(r)])
    if (r.register) files.push([`${stem}-long-distance.csv`, registerCsv(r)])
    if (r.rules.handsets.length)
        files.push([`${stem}-office-rules.csv`, rulesCsv(r.rules)])
    for (const [file, text] of files) writeFileSync(file, text, "utf8")
    return files.map(f => f[0])
}
