/**
 * The Debian font packages behind the font digits: one list for the recognition test set
 * (test/fixtures/font-digits/, never seen in training) and one for the glyphs the recognizer is trained on
 * (training/data/font-glyphs/). The two lists share no package, and no package in one is derived from a
 * package in the other (so no Nimbus clone from fonts-texgyre or fonts-freefont in training while
 * fonts-urw-base35 is tested, no Carlito beside Lato, no Arimo/Tinos beside Liberation); the disjointness
 * test (test/training/font-lists.test.ts) checks packages, files and family names.
 */

export interface FontFile {
  /** Debian package that installs it */
  package: string;
  /** file name as the package installs it (found with `dpkg -L <package>`) */
  file: string;
  /** looks hand-written (script, marker, casual) rather than typeset */
  handwriting?: boolean;
}

const of = (pkg: string, files: string[], handwriting = false): FontFile[] =>
  files.map((file) => ({ package: pkg, file, ...(handwriting ? { handwriting } : {}) }));

/** The recognition test set: 41 fonts from the packages the issue tried, plain and handwriting-like. */
export const TEST_FONTS: readonly FontFile[] = [
  ...of('fonts-urw-base35', [
    'NimbusSans-Regular.otf',
    'NimbusSans-Bold.otf',
    'NimbusSans-Italic.otf',
    'NimbusRoman-Regular.otf',
    'NimbusRoman-Bold.otf',
    'NimbusRoman-Italic.otf',
    'NimbusMonoPS-Regular.otf',
    'NimbusMonoPS-Bold.otf',
    'URWBookman-Light.otf',
    'URWGothic-Book.otf',
    'C059-Roman.otf',
    'P052-Roman.otf',
  ]),
  ...of('fonts-urw-base35', ['Z003-MediumItalic.otf'], true),
  ...of('fonts-liberation', ['LiberationSans-Regular.ttf', 'LiberationSans-Bold.ttf', 'LiberationSerif-Regular.ttf', 'LiberationMono-Regular.ttf']),
  ...of('fonts-dejavu-core', ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf', 'DejaVuSerif.ttf', 'DejaVuSansMono.ttf']),
  ...of('fonts-lato', ['Lato-Regular.ttf', 'Lato-Bold.ttf']),
  ...of('fonts-open-sans', ['OpenSans-Regular.ttf', 'OpenSans-Italic.ttf']),
  ...of('fonts-cantarell', ['Cantarell-Regular.otf']),
  ...of(
    'fonts-bwht',
    [
      'BecauseWeBuild-Regular.otf',
      'BecauseWeConnect-Regular.otf',
      'BecauseWeCreate-Regular.otf',
      'BecauseWeLearn-Regular.otf',
      'BecauseWeMentor-Regular.otf',
      'BecauseWeOrganize-Regular.otf',
    ],
    true,
  ),
  ...of('fonts-humor-sans', ['Humor-Sans.ttf'], true),
  ...of('fonts-klee', ['KleeOne-Regular.ttf'], true),
  ...of('fonts-comic-neue', ['ComicNeue-Regular.otf', 'ComicNeue-Bold.otf'], true),
  ...of('fonts-dancingscript', ['DancingScript-Regular.otf'], true),
  ...of('fonts-breip', ['Breip.ttf'], true),
  ...of('fonts-dkg-handwriting', ['dkg.ttf'], true),
  // (fonts-femkeklaver was tried and left out: its digits are hollow outlines, not strokes a person draws)
  ...of('fonts-yusei-magic', ['YuseiMagic-Regular.ttf'], true),
  ...of('fonts-tomsontalks', ['TomsonTalks.ttf'], true),
];

/** Fonts whose rendered digits the recognizer trains on (and, for VALIDATION_FONT_EVERY, is selected on). */
export const TRAINING_FONTS: readonly FontFile[] = [
  ...of('fonts-sil-andika', ['Andika-Regular.ttf', 'Andika-Bold.ttf']),
  ...of('fonts-sil-charis', ['CharisSIL-Regular.ttf', 'CharisSIL-Italic.ttf']),
  ...of('fonts-ebgaramond', ['EBGaramond12-Regular.otf', 'EBGaramond12-Italic.otf']),
  ...of('fonts-linuxlibertine', ['LinLibertine_R.otf', 'LinBiolinum_R.otf', 'LinBiolinum_RB.otf']),
  ...of('fonts-inter', ['Inter-Regular.otf', 'Inter-Bold.otf', 'Inter-Italic.otf']),
  ...of('fonts-go', ['Go-Regular.ttf', 'Go-Bold.ttf', 'Go-Mono.ttf']),
  ...of('fonts-hack', ['Hack-Regular.ttf']),
  ...of('fonts-inconsolata', ['Inconsolata.otf']),
  ...of('fonts-jetbrains-mono', ['JetBrainsMono-Regular.ttf', 'JetBrainsMono-Bold.ttf']),
  ...of('fonts-karla', ['Karla-Regular.otf', 'Karla-Bold.otf']),
  ...of('fonts-manrope', ['Manrope-Regular.ttf']),
  ...of('fonts-quicksand', ['Quicksand-Regular.ttf', 'Quicksand-Bold.ttf']),
  ...of('fonts-comfortaa', ['Comfortaa-Regular.ttf']),
  ...of('fonts-dosis', ['Dosis-Book.otf', 'Dosis-Bold.otf']),
  ...of('fonts-cabin', ['Cabin-Regular.otf', 'Cabin-Italic.otf']),
  ...of('fonts-vollkorn', ['Vollkorn-Regular.ttf', 'Vollkorn-Italic.ttf']),
  ...of('fonts-oxygen', ['Oxygen-Sans.ttf']),
  ...of('fonts-roboto-unhinted', ['Roboto-Regular.ttf', 'Roboto-Bold.ttf', 'Roboto-Italic.ttf', 'RobotoCondensed-Regular.ttf']),
  ...of('fonts-noto-mono', ['NotoSansMono-Regular.ttf']),
  ...of('fonts-tuffy', ['Tuffy.ttf']),
  ...of('fonts-junction', ['Junction.otf']),
  ...of('fonts-yanone-kaffeesatz', ['YanoneKaffeesatz-Regular.otf']),
  ...of('fonts-routed-gothic', ['routed-gothic.ttf', 'routed-gothic-italic.ttf']),
  ...of('fonts-osifont', ['osifont.ttf'], true),
  ...of('fonts-stick', ['Stick-Regular.ttf'], true),
  ...of('fonts-sjfonts', ['Delphine.ttf', 'SteveHand.ttf'], true),
  ...of('fonts-kristi', ['Kristi.ttf'], true),
  ...of('fonts-rufscript', ['Rufscript010.ttf'], true),
  ...of('fonts-isabella', ['Isabella.ttf'], true),
  ...of('fonts-kaushanscript', ['KaushanScript-Regular.otf'], true),
  ...of('fonts-havana', ['Havana-Regular.otf'], true),
  ...of('fonts-cabinsketch', ['CabinSketch-Regular.ttf'], true),
  ...of('fonts-staypuft', ['StayPuft.ttf'], true),
  ...of('fonts-ecolier-court', ['Ecolier-court.ttf'], true),
  ...of('fonts-lobstertwo', ['LobsterTwo-Regular.otf'], true),
];

/**
 * Every VALIDATION_FONT_EVERY-th training font (from the 3rd on) is held out of fitting and scores the
 * epochs for early stopping, beside the MNIST validation split: selection never sees a test font.
 */
export const VALIDATION_FONT_EVERY = 5;

export function isValidationFont(index: number): boolean {
  return index % VALIDATION_FONT_EVERY === 2;
}

/** "fonts-lato/Lato-Regular.ttf" */
export function fontId(font: FontFile): string {
  return `${font.package}/${font.file}`;
}

/** How one image is drawn: the glyph's size, tilt and offset from the centre, paper and ink grey. */
export interface Rendering {
  pointsize: number;
  rotate: number;
  dx: number;
  dy: number;
  paper: number;
  ink: number;
}

/** test/fixtures/font-digits/manifest.json */
export interface FontDigitsManifest {
  description: string;
  canvas: number;
  fonts: (FontFile & { id: string })[];
  images: ({ file: string; font: string; digit: number } & Rendering)[];
}

/** training/data/font-glyphs/glyphs.json */
export interface FontGlyphs {
  description: string;
  columns: number;
  fonts: (FontFile & { id: string })[];
  /** tile i of glyphs.png: index into `fonts` and the digit */
  glyphs: { font: number; digit: number }[];
}
