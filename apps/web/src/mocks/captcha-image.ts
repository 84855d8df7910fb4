// The mock captcha: an SVG with the answer in it and a little noise, so it looks the part.
const WIDTH = 160;
const HEIGHT = 56;

const between = (min: number, max: number) => min + Math.random() * (max - min);

export function captchaSvg(text: string): string {
  const step = (WIDTH - 24) / text.length;
  const glyphs = [...text]
    .map((char, i) => {
      const x = (12 + step * (i + 0.5) + between(-3, 3)).toFixed(1);
      const y = (HEIGHT / 2 + 10 + between(-4, 4)).toFixed(1);
      return `<text x="${x}" y="${y}" transform="rotate(${between(-18, 18).toFixed(0)} ${x} ${y})">${char}</text>`;
    })
    .join('');
  const lines = Array.from({ length: 3 }, () => {
    const [x1, y1, x2, y2] = [between(0, 30), between(0, HEIGHT), between(130, WIDTH), between(0, HEIGHT)].map((n) =>
      n.toFixed(0),
    );
    return `<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}"/>`;
  }).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}">
<rect width="100%" height="100%" fill="#f3f5fb"/>
<g stroke="#5b6b9a" stroke-width="1.5" opacity="0.6">${lines}</g>
<g font-family="DejaVu Sans, Verdana, sans-serif" font-weight="bold" font-size="30" fill="#1d2b5c" text-anchor="middle">${glyphs}</g>
</svg>`;
}
