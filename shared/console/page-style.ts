/** The console's stylesheet, served as its own response (the page's CSP admits no inline style). */
export const CONSOLE_STYLE = `
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, sans-serif; margin: 0; color: #1b1f24; background: #f6f8fa; }
header { background: #0b3d91; color: #fff; padding: 10px 20px; display: flex; gap: 18px; align-items: center; flex-wrap: wrap; position: sticky; top: 0; z-index: 2; }
header .muted { color: #dbe7ff; }
header form { display: flex; gap: 6px; align-items: center; }
header input { width: 320px; padding: 4px 8px; border-radius: 4px; border: 1px solid #8aa4d6; font: inherit; }
button { font: inherit; padding: 3px 10px; border-radius: 4px; border: 1px solid #8c959f; background: #fff; cursor: pointer; }
button:disabled { opacity: .5; cursor: default; }
button.primary { background: #0550ae; color: #fff; border-color: #0550ae; }
select { font: inherit; }
.notice { margin: 12px 20px; padding: 8px 12px; background: #fff8c5; border: 1px solid #d4a72c; border-radius: 6px; }
.notice.error { background: #ffebe9; border-color: #cf222e; }
main { padding: 0 20px 40px; }
.panel { background: #fff; border: 1px solid #d0d7de; border-radius: 8px; padding: 8px 16px 16px; margin: 14px 0; }
h2 { font-size: 17px; margin: 8px 0 10px; }
h3 { font-size: 14px; margin: 16px 0 6px; }
.muted { color: #57606a; font-weight: normal; font-size: 12px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(250px, 1fr)); gap: 10px; }
.card { border: 1px solid #d0d7de; border-radius: 6px; padding: 8px 12px; border-left-width: 5px; }
.card h4 { margin: 0 0 4px; font-size: 14px; overflow-wrap: anywhere; }
.card p { margin: 2px 0; font-size: 12px; overflow-wrap: anywhere; }
.state-connected { border-left-color: #1a7f37; }
.state-disconnected { border-left-color: #cf222e; }
.state-needs_attention { border-left-color: #d4a72c; }
.state-checking, .state-unknown { border-left-color: #8c959f; }
.badge { display: inline-block; padding: 0 8px; border-radius: 10px; font-size: 11px; font-weight: 600; background: #eaeef2; }
.badge.connected, .badge.succeeded { background: #dafbe1; color: #116329; }
.badge.disconnected, .badge.failed { background: #ffebe9; color: #a40e26; }
.badge.needs_attention, .badge.retrying, .badge.awaiting_approval { background: #fff8c5; color: #7d4e00; }
.badge.filtered { background: #eaeef2; color: #57606a; }
.hint { color: #0550ae; }
.warning { color: #9a6700; }
.cards.change { grid-template-columns: repeat(auto-fill, minmax(190px, 1fr)); }
.change .card { border-left-color: #0550ae; font-size: 12px; }
.change .big { font-size: 20px; font-weight: 600; }
.up { color: #a40e26; } .down { color: #116329; } .flat { color: #57606a; }
.change .ok .up { color: #116329; } .change .ok .down { color: #a40e26; }
.charts { display: grid; grid-template-columns: 320px minmax(0, 1fr); gap: 14px; margin-top: 12px; }
figure.chart { margin: 0; border: 1px solid #eaeef2; border-radius: 6px; padding: 8px; }
figcaption { font-weight: 600; margin-bottom: 4px; }
.legend { display: flex; flex-wrap: wrap; gap: 6px; margin: 4px 0; }
.legend button { font-size: 12px; padding: 1px 8px; border-left-width: 6px; }
.legend button[aria-pressed="false"] { opacity: .45; text-decoration: line-through; }
.t-inbound_webhook { border-left-color: #0969da; } .t-outbound_webhook { border-left-color: #8250df; }
.t-prebuilt_integration { border-left-color: #cf222e; } .t-custom_node { border-left-color: #bf8700; }
.t-custom_event { border-left-color: #1a7f37; }
svg text { font: 11px system-ui, sans-serif; fill: #57606a; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; border-top: 1px solid #eaeef2; padding: 4px 8px; vertical-align: top; overflow-wrap: anywhere; }
th { font-size: 12px; color: #57606a; }
td button { white-space: nowrap; }
.detail { border: 1px solid #d0d7de; border-radius: 6px; padding: 8px 12px; margin-top: 10px; background: #f6f8fa; }
.detail h4 { margin: 0 0 6px; }
.detail dl { display: grid; grid-template-columns: 140px 1fr; gap: 2px 10px; margin: 0; }
.detail dt { color: #57606a; } .detail dd { margin: 0; overflow-wrap: anywhere; }
.result { min-height: 1.4em; }
.guard { color: #a40e26; }
.accepted { color: #116329; }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, monospace; }
[hidden] { display: none !important; }
@media (max-width: 900px) { .charts { grid-template-columns: 1fr; } }
`;
