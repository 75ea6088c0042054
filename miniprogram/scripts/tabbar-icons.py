# Run with Pillow: python scripts/tabbar-icons.py assets/tabbar
# Draws the tab bar icons (81x81 PNG, grey and brand blue) for 首页 / 我的办件 / 我的.
from PIL import Image, ImageDraw
import sys
out = sys.argv[1]
S = 4  # draw large, then downsample for smooth edges
N = 81 * S
def canvas():
    return Image.new("RGBA", (N, N), (0, 0, 0, 0))
def home(d, c):
    w = 6 * S
    d.line([(12*S, 40*S), (40.5*S, 14*S), (69*S, 40*S)], fill=c, width=w, joint="curve")
    d.rectangle([20*S, 38*S, 61*S, 68*S], outline=c, width=w)
    d.rectangle([34*S, 50*S, 47*S, 68*S], fill=c)
def cases(d, c):
    w = 6 * S
    d.rounded_rectangle([17*S, 10*S, 64*S, 71*S], radius=6*S, outline=c, width=w)
    for y in (27, 40, 53):
        d.line([(27*S, y*S), (54*S, y*S)], fill=c, width=5*S)
def me(d, c):
    w = 6 * S
    d.ellipse([27*S, 10*S, 54*S, 37*S], outline=c, width=w)
    d.pieslice([13*S, 43*S, 68*S, 98*S], 180, 360, fill=c)
for name, draw in (("home", home), ("cases", cases), ("me", me)):
    for suffix, colour in (("", (94, 94, 94, 255)), ("-active", (0, 82, 217, 255))):
        img = canvas()
        draw(ImageDraw.Draw(img), colour)
        img.resize((81, 81), Image.LANCZOS).save(f"{out}/{name}{suffix}.png", optimize=True)
