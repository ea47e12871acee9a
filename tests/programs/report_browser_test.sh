#!/bin/sh
# The report in a real browser (headless Chromium): a run of example 05 with a trace and a
# report, then Chromium opens the report from file://. The page must draw one mark per task
# run that the trace has, log nothing to its console (a script error, or a request the page's
# Content-Security-Policy blocked, would be logged there), and show a task's error message
# with <script> in it as text. Writes the screenshot to SCREENSHOT (docs/images/report.png
# is one).
#   report_browser_test.sh "LAUNCHER..." EXAMPLE_05 TRACE_PROGRAM SCREENSHOT
launcher=$1; example=$2; trace_program=$3; screenshot=$4
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
[ "$(id -u)" -eq 0 ] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 && no_sandbox=--no-sandbox
command -v chromium > /dev/null || { echo "FAILED: chromium is not installed (scripts/install-deps.sh installs it)"; exit 1; }
browse() {  # browse PAGE OUTPUT-OPTION...: Chromium's console lines go to $work/console
  chromium --headless $no_sandbox --disable-gpu --hide-scrollbars --user-data-dir="$work/profile" \
    --enable-logging=stderr --v=0 "$@" 2> "$work/stderr"
  grep 'CONSOLE' "$work/stderr" > "$work/console"
}

$launcher "$example" --blocks 40 --block-values 20000 --taskfarm-trace="$work/t.json" --taskfarm-report="$work/r.html" \
  > "$work/run.out" 2>&1 || { echo "FAILED: example 05 ended with $?"; cat "$work/run.out"; exit 1; }
runs=$(grep -o '"ph":"X"' "$work/t.json" | wc -l)
[ "$runs" -eq 119 ] || { echo "FAILED: the trace has $runs slices, not 119 (40 loads, 40 summaries, 39 combines)"; exit 1; }
browse --dump-dom "file://$work/r.html" > "$work/dom.html"
[ -s "$work/console" ] && { echo "FAILED: the page logged to its console:"; cat "$work/console"; exit 1; }
marks=$(grep -o 'class="mark"' "$work/dom.html" | wc -l)
[ "$marks" -eq "$runs" ] || { echo "FAILED: the page draws $marks marks for $runs task runs"; exit 1; }
browse --window-size=1200,1500 --screenshot="$screenshot" "file://$work/r.html" > /dev/null
[ -s "$work/console" ] && { echo "FAILED: the page logged to its console:"; cat "$work/console"; exit 1; }
[ -s "$screenshot" ] || { echo "FAILED: no screenshot"; exit 1; }

# A task's error with markup in it: shown as text, never run.
$launcher "$trace_program" "$work/t2.json" "$work/r2.html" > "$work/run2.out" 2>&1 || { echo "FAILED: the trace program ended with $?"; cat "$work/run2.out"; exit 1; }
browse --dump-dom "file://$work/r2.html" > "$work/dom2.html"
[ -s "$work/console" ] && { echo "FAILED: the page logged to its console:"; cat "$work/console"; exit 1; }
grep -q 'flaky fails every time &lt;script&gt;alert(1)&lt;/script&gt;' "$work/dom2.html" || { echo "FAILED: the error is not shown as text"; exit 1; }
if grep -q '<script>alert' "$work/dom2.html"; then echo "FAILED: the error became markup"; exit 1; fi
echo "the report works in Chromium: $marks marks for $runs runs, no console messages, markup shown as text"
