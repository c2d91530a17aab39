// The studio's code editor: CodeMirror 6 inside a Streamlit component (the v1 iframe
// protocol, spoken directly: no component library, no React). Everything it needs is in
// the one bundle this file builds; it loads nothing from the network.
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { python } from "@codemirror/lang-python";
import {
  bracketMatching,
  defaultHighlightStyle,
  indentOnInput,
  indentUnit,
  syntaxHighlighting,
} from "@codemirror/language";
import { highlightSelectionMatches, searchKeymap } from "@codemirror/search";
import { EditorState } from "@codemirror/state";
import {
  drawSelection,
  EditorView,
  highlightActiveLine,
  highlightActiveLineGutter,
  keymap,
  lineNumbers,
} from "@codemirror/view";

const FONT = '"Source Code Pro", "DejaVu Sans Mono", ui-monospace, monospace';
const DEBOUNCE_MS = 350;

function send(type, fields) {
  window.parent.postMessage({ isStreamlitMessage: true, type, ...fields }, "*");
}

let view = null;
let timer = null;
let sent = null;

function flush() {
  if (timer !== null) {
    clearTimeout(timer);
    timer = null;
  }
  const text = view.state.doc.toString();
  if (text !== sent) {
    sent = text;
    send("streamlit:setComponentValue", { value: text, dataType: "json" });
  }
}

function create(args, dark) {
  const height = Number(args.height) || 300;
  sent = String(args.value ?? "");
  const theme = EditorView.theme(
    {
      "&": { height: `${height}px`, fontSize: "14px", border: "1px solid rgba(49, 51, 63, 0.2)", borderRadius: "0.5rem" },
      "&.cm-focused": { outline: "1px solid #ff4b4b" },
      ".cm-scroller": { fontFamily: FONT, lineHeight: "1.5" },
      ".cm-gutters": { borderRight: "1px solid rgba(49, 51, 63, 0.15)" },
    },
    { dark },
  );
  const state = EditorState.create({
    doc: sent,
    extensions: [
      lineNumbers(),
      highlightActiveLineGutter(),
      highlightActiveLine(),
      history(),
      drawSelection(),
      indentOnInput(),
      bracketMatching(),
      highlightSelectionMatches(),
      indentUnit.of("    "),
      EditorState.tabSize.of(4),
      python(),
      syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
      keymap.of([...defaultKeymap, ...historyKeymap, ...searchKeymap, indentWithTab]),
      EditorState.readOnly.of(args.disabled === true),
      EditorView.contentAttributes.of({ "aria-label": String(args.label ?? "Code") }),
      EditorView.updateListener.of((update) => {
        if (!update.docChanged) return;
        if (timer !== null) clearTimeout(timer);
        timer = setTimeout(flush, DEBOUNCE_MS);
      }),
      EditorView.domEventHandlers({ blur: () => flush() }),
      theme,
    ],
  });
  view = new EditorView({ state, parent: document.getElementById("root") });
  send("streamlit:setFrameHeight", { height: height + 4 });
}

window.addEventListener("message", (event) => {
  const data = event.data;
  if (!data || data.type !== "streamlit:render") return;
  // The first render creates the editor; later renders (each rerun) leave the text alone,
  // so a rerun while the author types never takes their keystrokes back.
  if (view === null) create(data.args || {}, data.theme?.base === "dark");
});
window.addEventListener("pagehide", () => view && flush());

send("streamlit:componentReady", { apiVersion: 1 });
