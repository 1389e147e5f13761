"""A static leaderboard page: one HTML file, no server, no network (inline CSS, JS and SVG plots).

Tables sort on a header click. A URL fragment `#sort=<column-key>:<asc|desc>` (for example
`leaderboard.html#sort=aggregate:asc`) sorts on load, so a link can point at a sorted view; when the script has run,
`<body data-ready="1">` is set (the browser test checks both).
"""

from __future__ import annotations

import html
import math
import re
from pathlib import Path

from harness.leaderboards.build import Cell, Leaderboard
from harness.leaderboards.render import LEGEND, aggregate_percent, format_score, task_header

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem;color:#1d1d1f;max-width:1400px}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}
th,td{border-bottom:1px solid #ddd;padding:.3rem .6rem;text-align:right;white-space:nowrap}
th{background:#f3f4f6;cursor:pointer;user-select:none;position:sticky;top:0}
th.sorted-asc::after{content:" \\25B2"}th.sorted-desc::after{content:" \\25BC"}
td.model,th.model{text-align:left}td.best{font-weight:700}td.underpowered{color:#888}
.tie{color:#b45309}.legend,.meta{color:#555;font-size:.8rem}.warn{color:#b91c1c}
.src{font-size:.7rem;background:#eef;border-radius:3px;padding:0 .3rem;margin-left:.3rem}
figure{margin:1rem 0}figure svg{max-width:100%;height:auto}
details{margin:.5rem 0}
"""

JS = """
(function(){
  function val(td){var v=td.getAttribute('data-sort');if(v===null)v=td.textContent.trim();
    var f=parseFloat(v);return (v!==''&&!isNaN(f)&&isFinite(v))?f:v.toLowerCase();}
  function sortTable(table,col,dir){
    var tbody=table.tBodies[0];var rows=Array.prototype.slice.call(tbody.rows);
    rows.sort(function(a,b){var x=val(a.cells[col]),y=val(b.cells[col]);
      var ex=(x===''),ey=(y==='');if(ex&&ey)return 0;if(ex)return 1;if(ey)return -1;
      if(typeof x==='number'&&typeof y==='number')return dir*(x-y);
      return dir*String(x).localeCompare(String(y));});
    rows.forEach(function(r){tbody.appendChild(r);});
    var ths=table.tHead.rows[0].cells;
    for(var i=0;i<ths.length;i++){ths[i].classList.remove('sorted-asc','sorted-desc');}
    ths[col].classList.add(dir>0?'sorted-asc':'sorted-desc');
    table.setAttribute('data-sorted',ths[col].getAttribute('data-key')+':'+(dir>0?'asc':'desc'));
  }
  document.querySelectorAll('table.sortable').forEach(function(table){
    var ths=table.tHead.rows[0].cells;
    Array.prototype.forEach.call(ths,function(th,i){th.addEventListener('click',function(){
      var dir=th.classList.contains('sorted-asc')?-1:1;sortTable(table,i,dir);});});
  });
  var m=/sort=([^:&]+):(asc|desc)/.exec(decodeURIComponent(location.hash||''));
  if(m){var table=document.getElementById('leaderboard');
    var ths=table.tHead.rows[0].cells;
    for(var i=0;i<ths.length;i++){if(ths[i].getAttribute('data-key')===m[1]){sortTable(table,i,m[2]==='asc'?1:-1);}}}
  document.body.setAttribute('data-ready','1');
})();
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _num(x: float) -> str:
    return repr(float(x)) if x is not None and math.isfinite(x) else ""


def _cell_td(cell: Cell | None, percent: bool, n_rows: int, with_n: bool = True) -> str:
    if cell is None:
        return '<td data-sort="">-</td>'
    classes = []
    if cell.rank_hi == 1 and n_rows > 1:
        classes.append("best")
    if cell.underpowered:
        classes.append("underpowered")
    title = (f"95% CI [{cell.ci_low:.4g}, {cell.ci_high:.4g}] ({cell.ci_method}); n={cell.n}; "
             f"rank {cell.rank_lo}-{cell.rank_hi}" if math.isfinite(cell.mean) else "")
    if cell.run_id:
        title += f"; run {cell.run_id}"
    cls = f' class="{" ".join(classes)}"' if classes else ""
    return f'<td{cls} data-sort="{_num(cell.mean)}" title="{_e(title)}">{_e(format_score(cell, percent, with_n))}</td>'


def _inline_svg(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"^<\?xml[^>]*>\s*", "", text)
    text = re.sub(r"<!DOCTYPE[^>]*>\s*", "", text)
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.S)  # RDF boilerplate, not needed inline
    return text


def render_html(board: Leaderboard, plots: list[Path] | None = None, title: str = "Leaderboard") -> str:
    agg_pct = aggregate_percent(board)
    n_rows = len(board.rows)
    head = ['<th data-key="rank">Rank</th>', '<th data-key="model" class="model">Model</th>']
    for col in board.tasks:
        head.append(f'<th data-key="{_e(col.name)}">{_e(task_header(col))}</th>')
    head.append('<th data-key="aggregate">Aggregate</th>')
    body = []
    for row in board.rows:
        srcs = "".join(f'<span class="src">{_e(s)}</span>' for s in row.sources if s != "harness")
        rank_cls = ' class="tie"' if row.tied else ""
        tds = [f'<td{rank_cls} data-sort="{row.rank_lo or ""}" title="rank interval {_e(row.rank_range)}">'
               f'{_e(row.rank_text)}</td>',
               f'<td class="model" data-sort="{_e(row.model.lower())}">{_e(row.model)}{srcs}</td>']
        for col in board.tasks:
            tds.append(_cell_td(row.cells.get(col.name), col.percent, n_rows))
        tds.append(_cell_td(row.aggregate, agg_pct, n_rows, with_n=False))
        body.append(f'<tr data-model="{_e(row.model)}">' + "".join(tds) + "</tr>")

    sig = [p for p in board.pairs if p.task == "aggregate" or p.significant]
    pair_rows = "".join(
        f"<tr><td class=\"model\">{_e(p.task)}</td><td class=\"model\">{_e(p.model_a)}</td>"
        f"<td class=\"model\">{_e(p.model_b)}</td><td data-sort=\"{_num(p.diff)}\">{p.diff:+.4f}</td>"
        f"<td data-sort=\"{_num(p.stderr)}\">{p.stderr:.4f}</td><td data-sort=\"{_num(p.p_adjusted)}\">"
        f"{p.p_adjusted:.3g}</td><td>{_e(p.test)}</td><td>{'yes' if p.significant else 'no'}</td></tr>"
        for p in sig
    )
    prov_rows = "".join(
        f"<tr><td class=\"model\">{_e(r.model)}</td><td class=\"model\">{_e(r.task)}</td><td>{_e(r.task_version)}</td>"
        f"<td>{_e(r.content_hash[:12])}</td><td>{_e(r.harness_version)}</td><td>{_e(r.git_sha[:7])}</td>"
        f"<td>{_e(r.dataset_sha256[:12])}</td><td>{_e(r.source)}</td><td>{_e(r.created_at)}</td>"
        f"<td class=\"model\">{_e(r.run_id)}</td></tr>"
        for r in board.runs
    )
    figures = "".join(f'<figure id="plot-{_e(p.stem)}">{_inline_svg(p)}</figure>'
                      for p in (plots or []) if p.suffix == ".svg")
    warnings = "".join(f'<p class="warn">Warning: {_e(w)}.</p>' for w in board.warnings)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)}</title><style>{CSS}</style></head>
<body data-ready="0">
<h1>{_e(title)}</h1>
<p class="meta">Harness {_e(', '.join(board.harness_versions))} &middot; generated {_e(board.generated_at)} &middot;
{len(board.runs)} runs &middot; significance level {board.alpha} (Holm)</p>
{warnings}
<table id="leaderboard" class="sortable"><thead><tr>{''.join(head)}</tr></thead>
<tbody>{''.join(body)}</tbody></table>
<p class="legend">{_e(LEGEND)}. Click a header to sort.</p>
<h2>Plots</h2>
{figures or '<p class="meta">No plots.</p>'}
<h2>Pairwise tests</h2>
<details><summary>{len(sig)} tests (significant per-task pairs, and every aggregate pair)</summary>
<table id="pairs" class="sortable"><thead><tr><th data-key="task" class="model">Task</th>
<th data-key="a" class="model">Model A</th><th data-key="b" class="model">Model B</th><th data-key="diff">B - A</th>
<th data-key="se">SE</th><th data-key="p">Holm p</th><th data-key="test">Test</th>
<th data-key="sig">Significant</th></tr></thead><tbody>{pair_rows}</tbody></table></details>
<h2>Provenance</h2>
<table id="provenance" class="sortable"><thead><tr><th data-key="model" class="model">Model</th>
<th data-key="task" class="model">Task</th><th data-key="version">Task version</th>
<th data-key="hash">Content hash</th><th data-key="harness">Harness</th><th data-key="sha">Git sha</th>
<th data-key="data">Dataset sha256</th><th data-key="source">Source</th><th data-key="date">Created</th>
<th data-key="run" class="model">Run</th></tr></thead><tbody>{prov_rows}</tbody></table>
<script>{JS}</script>
</body></html>
"""
