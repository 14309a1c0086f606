// The bill's sheets (billSheets.ts) as text, CSV files and an Excel
// workbook (exceljs, a maintained library: styles, number formats and
// page setup that a hand-written xlsx would get wrong).

import ExcelJS from "exceljs"
import { writeFileSync } from "node:fs"
import { asText, Cell, toCsv } from "./csv"
import { yuan } from "./pricing"
import { BillCell, Sheet } from "./billSheets"
import { renderTable } from "./table"
import { beijingTime } from "./topics"

function plain(c: BillCell): string {
    if (c === undefined) return ""
    if (typeof c === "number") return String(c)
    if (typeof c === "string") return c
    if ("fen" in c) return yuan(c.fen)
    if ("time" in c) return beijingTime(c.time)
    return c.phone
}

/** Each sheet as a titled table; right-aligned numbers. */
export function billText(sheets: Sheet[]): string {
    const out: string[] = []
    for (const s of sheets) {
        out.push(s.title, "")
        if (!s.rows.length) {
            out.push("  (none)", "")
            continue
        }
        const rows = s.rows.map(r => r.map(plain))
        if (s.totals) rows.push(s.totals.map(plain))
        const right = s.header
            .map((_, i) => i)
            .filter(i => {
                const c = s.rows[0][i]
                return (
                    typeof c === "number" ||
                    (typeof c === "object" && c !== null && "fen" in c)
                )
            })
        out.push(renderTable(s.header, rows, right))
    }
    return out.join("\n")
}

/** CSV: money as 元 with 2 decimals, times as Beijing time, phone numbers kept as text. */
function csvCell(c: BillCell): Cell {
    if (c === undefined || typeof c === "number" || typeof c === "string")
        return c
    if ("fen" in c) return yuan(c.fen)
    if ("time" in c) return beijingTime(c.time)
    return asText(c.phone)
}

export function writeBillCsv(sheets: Sheet[], stem: string): string[] {
    const files: string[] = []
    for (const s of sheets) {
        const rows = s.rows.map(r => r.map(csvCell))
        if (s.totals) rows.push(s.totals.map(csvCell))
        const file = `${stem}-bill-${s.key}.csv`
        writeFileSync(file, toCsv(s.header, rows), "utf8")
        files.push(file)
    }
    return files
}

/** Unix seconds as an Excel date showing Beijing time (Excel dates have no zone). */
function excelDate(unix: number): Date {
    return new Date((unix + 8 * 3600) * 1000)
}

export async function writeBillXlsx(
    sheets: Sheet[],
    file: string,
    meta: { site: string; month: string }
): Promise<void> {
    const wb = new ExcelJS.Workbook()
    wb.creator = "dialguard"
    wb.title = `${meta.site} ${meta.month}`
    for (const s of sheets) {
        const ws = wb.addWorksheet(s.title, {
            pageSetup: {
                paperSize: 9, // A4
                orientation: "landscape",
                fitToPage: true,
                fitToWidth: 1,
                fitToHeight: 0,
                printTitlesRow: "1:1",
            },
            views: [{ state: "frozen", ySplit: 1 }],
        })
        ws.addRow(s.header).font = { bold: true }
        const all = s.totals ? [...s.rows, s.totals] : s.rows
        all.forEach((r, ri) => {
            const row = ws.addRow([])
            r.forEach((c, ci) => {
                const cell = row.getCell(ci + 1)
                if (c === undefined) return
                if (typeof c === "number" || typeof c === "string")
                    cell.value = c
                else if ("fen" in c) {
                    // 分 / 100 once, for display; the sums were made in 分
                    cell.value = c.fen / 100
                    cell.numFmt = "0.00"
                } else if ("time" in c) {
                    cell.value = excelDate(c.time)
                    cell.numFmt = "yyyy-mm-dd hh:mm:ss"
                } else {
                    cell.value = c.phone
                    cell.numFmt = "@"
                }
            })
            if (s.totals && ri === all.length - 1) row.font = { bold: true }
        })
        ws.columns.forEach((col, i) => {
            const width = Math.max(
                ...[s.header[i], ...all.map(r => plainWidth(r[i]))].map(x =>
                    typeof x === "string" ? displayLen(x) : (x as number)
                )
            )
            col.width = Math.min(40, width + 2)
        })
    }
    await wb.xlsx.writeFile(file)
}

function plainWidth(c: BillCell): number {
    if (c && typeof c === "object" && "time" in c) return 19
    return displayLen(plain(c))
}

function displayLen(s: string): number {
    let n = 0
    for (const ch of s) n += ch.charCodeAt(0) > 0x2e80 ? 2 : 1
    return n
}
