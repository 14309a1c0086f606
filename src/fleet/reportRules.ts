// `report`, issue 12: the office rules per handset (authorization codes,
// working hours, call length, private calls) from the counters' "rules"
// group, and the calls per authorization-code owner from the call register.
// Kept apart from report.ts / reportFormat.ts so the sections merge easily.

import { RULE_COUNTS } from "../../devs/phone/counters"
import { toCsv } from "./csv"
import type { HandsetRow, RegisterEntry } from "./report"
import { duration } from "./report"
import { renderTable } from "./table"

export interface RulesRow {
    extension: string
    name: string
    department: string
    /** By RULE_COUNTS name. */
    counts: Record<string, number>
}

export interface OwnerRow {
    owner: string
    calls: number
    seconds: number
}

export interface RulesSection {
    /** Handsets with any office-rule count, in report order. */
    handsets: RulesRow[]
    /** Only with a register: calls lifted by a code, per code owner. */
    owners?: OwnerRow[]
    /** Only with a register: private calls in it. */
    privateCalls?: number
}

const HEADER: Record<string, string> = {
    codeCalls: "code calls",
    codeWrong: "wrong codes",
    codeLockouts: "lockouts",
    hoursRefused: "refused after hours",
    afterHours: "out after hours",
    hoursUnknown: "time unknown",
    warned: "length warned",
    cut: "length cut",
    privateCalls: "private calls",
    privateSeconds: "private time",
}

export function rulesSection(
    handsets: HandsetRow[],
    register?: RegisterEntry[]
): RulesSection {
    const rows: RulesRow[] = []
    for (const h of handsets) {
        const r = h.rules
        if (!r || !RULE_COUNTS.some(n => (r[n] ?? 0) > 0)) continue
        rows.push({
            extension: h.extension,
            name: h.name,
            department: h.departmentName || h.department,
            counts: Object.fromEntries(RULE_COUNTS.map(n => [n, r[n] ?? 0])),
        })
    }
    const s: RulesSection = { handsets: rows }
    if (register) {
        const by = new Map<string, OwnerRow>()
        for (const c of register) {
            if (!c.owner) continue
            let o = by.get(c.owner)
            if (!o)
                by.set(c.owner, (o = { owner: c.owner, calls: 0, seconds: 0 }))
            o.calls++
            o.seconds += c.seconds
        }
        s.owners = [...by.values()].sort(
            (a, b) => b.calls - a.calls || a.owner.localeCompare(b.owner)
        )
        s.privateCalls = register.filter(c => c.private).length
    }
    return s
}

const cell = (name: string, n: number) =>
    n === 0 ? "-" : name === "privateSeconds" ? duration(n) : String(n)

export function renderRules(s: RulesSection | undefined): string[] {
    if (!s) return []
    const out = [
        "Office rules (authorization codes (一)4, working hours and call length (二)5.1.1, private calls (二)3.7.2)",
    ]
    if (s.handsets.length === 0) out.push("  none counted", "")
    else
        out.push(
            renderTable(
                [
                    "handset",
                    "name",
                    "department",
                    ...RULE_COUNTS.map(n => HEADER[n]),
                ],
                s.handsets.map(h => [
                    h.extension,
                    h.name,
                    h.department,
                    ...RULE_COUNTS.map(n => cell(n, h.counts[n])),
                ]),
                RULE_COUNTS.map((_, i) => i + 3)
            )
        )
    if (s.owners) {
        out.push("Calls per authorization code owner (from the register)")
        if (s.owners.length === 0) out.push("  none", "")
        else
            out.push(
                renderTable(
                    ["code owner", "calls", "duration"],
                    s.owners.map(o => [
                        o.owner,
                        String(o.calls),
                        duration(o.seconds),
                    ]),
                    [1, 2]
                )
            )
    }
    return out
}

/** Chinese column names of the office-rule counts, for the CSV. */
const HEADER_ZH: Record<string, string> = {
    codeCalls: "授权码通话",
    codeWrong: "授权码错误",
    codeLockouts: "授权码锁定",
    hoursRefused: "非工作时间拦截",
    afterHours: "非工作时间外拨",
    hoursUnknown: "时间未知",
    warned: "超时提醒",
    cut: "超时挂断",
    privateCalls: "私人电话",
    privateSeconds: "私人通话秒数",
}

/** One language per file (zh, or en: the counts' own names). */
export function rulesCsv(s: RulesSection, lang: "zh" | "en" = "zh"): string {
    const zh = lang === "zh"
    return toCsv(
        [
            ...(zh
                ? ["分机", "名称", "部门"]
                : ["handset", "name", "department"]),
            ...RULE_COUNTS.map(n => (zh ? (HEADER_ZH[n] ?? n) : n)),
        ],
        s.handsets.map(h => [
            h.extension,
            h.name,
            h.department,
            ...RULE_COUNTS.map(n => h.counts[n]),
        ])
    )
}
