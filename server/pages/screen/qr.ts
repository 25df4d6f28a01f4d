/** A QR code as SVG (qrcode-generator computes the modules; we draw them as one path, no innerHTML). */
import qrcode from "qrcode-generator";
import { svg } from "../shared/dom.js";

/** `label` is what a screen reader says (the page's language). */
export function qrSvg(text: string, label: string): SVGSVGElement {
  const qr = qrcode(0, "M");
  qr.addData(text);
  qr.make();
  const n = qr.getModuleCount();
  const quiet = 2;
  const size = n + quiet * 2;
  let d = "";
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) if (qr.isDark(r, c)) d += `M${c + quiet} ${r + quiet}h1v1h-1z`;
  const root = svg("svg", { viewBox: `0 0 ${size} ${size}`, "shape-rendering": "crispEdges", role: "img", "aria-label": label });
  root.append(svg("path", { d, fill: "#000" }));
  return root;
}
