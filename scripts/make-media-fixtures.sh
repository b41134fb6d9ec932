#!/usr/bin/env bash
# Makes the small media fixtures of test/fixtures/media/ (committed; rerun only to change them) with Debian tools:
#   apt-get install -y ffmpeg espeak-ng
# One spoken sentence (espeak-ng), one second long, is the reference PCM; every codec file is made from it by
# ffmpeg's own encoders, and the G.722 reference decode is kept as a SHA-256 (ffmpeg's decoder output).
#
#   scripts/make-media-fixtures.sh          # every fixture
#   scripts/make-media-fixtures.sh images   # only the JPG/PNG frames (needs ffmpeg only), then the embed
set -euo pipefail
cd "$(dirname "$0")/../test/fixtures/media"
command -v ffmpeg >/dev/null || { echo "ffmpeg is missing: apt-get install -y ffmpeg" >&2; exit 1; }
FF="ffmpeg -hide_banner -loglevel error -y -bitexact"

# Still images, one whole picture per MEDIA_DATA_VIDEO / MEDIA_DATA_SHARE frame, as RTMS sends JPG (codec 5) and
# PNG (codec 6) at 5 fps or less; the simulator sends them in turn, for video and share alike, when they were
# negotiated. JPG: 5 consecutive pictures of testsrc2 at 5 fps (it moves), 320x180, baseline, about 5 KB each.
# PNG: 3 pictures of smptebars, 320x180 RGB, with a white square in a different place in each, about 1.5 KB each.
make_images() {
  $FF -f lavfi -i "testsrc2=size=320x180:rate=5" -frames:v 5 -q:v 10 -pix_fmt yuvj420p image-%d.jpg
  for i in 1 2 3; do
    $FF -f lavfi -i "smptebars=size=320x180:rate=1" -frames:v 1 \
      -vf "drawbox=x=$((16 + 96 * (i - 1))):y=148:w=24:h=24:color=white:t=fill" -update 1 "image-$i.png"
  done
}
if [ "${1:-}" = images ]; then
  make_images
  ls -l image-*
  (cd ../../.. && npx tsx scripts/embed-media-fixtures.ts)
  exit 0
fi

command -v espeak-ng >/dev/null || { echo "espeak-ng is missing: apt-get install -y espeak-ng" >&2; exit 1; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

SENTENCE="Hello from the meeting."
espeak-ng -v en-us -s 190 -w "$TMP/speech.wav" "$SENTENCE"
echo "$SENTENCE" > speech.txt

# Reference PCM: 1.000 s, mono, 16-bit little-endian, at 16 kHz and 8 kHz (padded with silence if shorter).
$FF -i "$TMP/speech.wav" -af "apad=whole_dur=1" -t 1 -ar 16000 -ac 1 -f s16le speech-16k.s16le
$FF -f s16le -ar 16000 -ac 1 -i speech-16k.s16le -ar 8000 -f s16le speech-8k.s16le

# G.711 A-law and µ-law at 8 kHz (one byte per sample).
$FF -f s16le -ar 8000 -ac 1 -i speech-8k.s16le -c:a pcm_alaw -f alaw speech.alaw
$FF -f s16le -ar 8000 -ac 1 -i speech-8k.s16le -c:a pcm_mulaw -f mulaw speech.ulaw

# G.722 at 64 kbit/s (one byte per two 16 kHz samples), and the SHA-256 of ffmpeg's own decode of it.
$FF -f s16le -ar 16000 -ac 1 -i speech-16k.s16le -c:a g722 -f g722 speech.g722
$FF -f g722 -i speech.g722 -f s16le "$TMP/g722-ffmpeg.s16le"
sha256sum < "$TMP/g722-ffmpeg.s16le" | cut -d' ' -f1 > speech-g722-ffmpeg.sha256

# Opus at 48 kHz mono, 20 ms frames, in Ogg (the test reads the packets out of the pages).
ENCODERS=$(ffmpeg -hide_banner -encoders 2>/dev/null)
if grep -q libopus <<<"$ENCODERS"; then
  $FF -f s16le -ar 16000 -ac 1 -i speech-16k.s16le -ar 48000 -c:a libopus -b:a 32k -frame_duration 20 -application voip speech.opus
  # libopus's own decode of it (ffmpeg's native Opus decoder differs slightly), resampled by ffmpeg to 16 kHz:
  # the reference the WebAssembly decoder is held to (pre-skip removed, as ffmpeg does).
  $FF -c:a libopus -i speech.opus -af "aresample=resampler=soxr" -ar 16000 -f s16le speech-opus-libopus-16k.s16le
else
  echo "ffmpeg has no libopus encoder: speech.opus not made" >&2
fi
ls -l

# H.264 (Annex B, as RTMS sends it: start codes, SPS/PPS repeated before every IDR), baseline profile, no B-frames,
# 320x180 at 15 fps, 2 s, one IDR per second: the active-speaker video and a screen share. ffprobe reads both.
X264="keyint=15:min-keyint=15:scenecut=0:repeat-headers=1:bframes=0"
$FF -f lavfi -i "testsrc2=size=320x180:rate=15" -t 2 -c:v libx264 -profile:v baseline -preset veryfast \
  -pix_fmt yuv420p -x264-params "$X264" -b:v 120k -f h264 video.h264
$FF -f lavfi -i "smptebars=size=320x180:rate=15" -t 2 -c:v libx264 -profile:v baseline -preset veryfast \
  -pix_fmt yuv420p -x264-params "$X264" -b:v 60k -f h264 share.h264

make_images

# Embed what the simulator streams in src/testing/media-fixtures.ts (it ships in rtms-client/testing).
(cd ../../.. && npx tsx scripts/embed-media-fixtures.ts)
