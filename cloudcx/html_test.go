package cloudcx

import (
	"strings"
	"testing"
)

func TestHTMLToText(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", "hello", "hello"},
		{"empty", "", ""},
		{"whitespace collapses", "  a \n\t b  ", "a b"},
		{"paragraphs", "<p>one</p><p>two</p>", "one\n\ntwo"},
		{"br", "a<br>b<br/>c<BR />d", "a\nb\nc\nd"},
		{"double br is a blank line, not more", "a<br><br><br><br>b", "a\n\nb"},
		{"leading breaks dropped", "<br><p></p><div>a</div>", "a"},
		{"divs", "<div>a</div><div>b</div>", "a\nb"},
		{"headings", "<h1>Title</h1>text", "Title\n\ntext"},
		{"inline tags", "a <b>bold</b> and <i>it</i><span>x</span>", "a bold and itx"},
		{"entities", "a &amp; b &lt;c&gt; &quot;d&quot; &#8364; &#x1F600; &eacute;&nbsp;x", "a & b <c> \"d\" € 😀 é x"},
		{"bad entities left", "&bogus; & &#;", "&bogus; & &#;"},
		{"escaped markup stays text", "&lt;script&gt;alert(1)&lt;/script&gt;", "<script>alert(1)</script>"},
		{"script dropped", "a<script>var x = '<p>';</script>b", "ab"},
		{"script case and attributes", "a<SCRIPT type=x>1</ScRiPt >b", "ab"},
		{"style dropped", "<style>p{color:red}</style><p>x</p>", "x"},
		{"head and title dropped", "<html><head><title>T</title><meta charset=utf-8></head><body>x</body></html>", "x"},
		{"unterminated script drops the rest", "a<script>b", "a"},
		{"scriptx is not script", "a<scriptx>b</scriptx>c", "abc"},
		{"comments", "a<!-- <p>hidden</p> -->b<!---->c", "abc"},
		{"unterminated comment", "a<!-- b", "a"},
		{"doctype and pi", "<!DOCTYPE html><?xml version=1?>x", "x"},
		{"link", `<a href="https://x.example/a?b=1&amp;c=2">the docs</a>`, "the docs (https://x.example/a?b=1&c=2)"},
		{"link same as text", `<a href="https://x.example">https://x.example</a>`, "https://x.example"},
		{"mailto same as text", `<a href="mailto:a@b.c">a@b.c</a>`, "a@b.c"},
		{"link without text", `see <a href='https://x.example'></a>.`, "see https://x.example."},
		{"fragment and javascript links", `<a href="#top">top</a> <a href="JavaScript:void(0)">js</a>`, "top js"},
		{"link without href", `<a name=x>anchor</a>`, "anchor"},
		{"unclosed link", `<a href=u>text`, "text (u)"},
		{"nested links", `<a href=u1>one<a href=u2>two</a>`, "one (u1)two (u2)"},
		{"link href with spaces", `<a href=" https://x.example/a b ">go</a>`, "go (https://x.example/ab)"},
		{"quoted > in attribute", `<a title="a>b" href="u">x</a>`, "x (u)"},
		{"image alt", `a<img src=x alt="a cat">b<img src=y>`, "a a cat b"},
		{"list", "<ul><li>one</li><li>two</li></ul>after", "- one\n- two\nafter"},
		{"ordered list", "<ol><li>one<li>two</ol>", "- one\n- two"},
		{"table", "<table><tr><th>a</th><th>b</th></tr><tr><td>1</td><td>2</td></tr></table>", "a | b\n1 | 2"},
		{"pre keeps whitespace", "<pre>a  b\n  c\r\nd</pre>e", "a  b\n  c\nd\n\ne"},
		{"blockquote", "x<blockquote>q</blockquote>y", "x\nq\ny"},
		{"less-than text", "a < b and c<3 and <>", "a < b and c<3 and <>"},
		{"unterminated tag drops the rest", "a <b c", "a"},
		{"unterminated quote drops the rest", `a <a href="x>b`, "a"},
		{"stray closing tags", "a</p></div>b", "a\n\nb"},
		{"control characters removed", "a\x00b\x07c\u202ed\ufeffe", "abcde"},
		{"invalid utf-8", "a\xff\xfeb<p>\xc3</p>", "a\ufffdb\n\n\ufffd"},
		{"entity for a control", "a&#1;b&#0;c", "ab\ufffdc"},
		{"svg dropped", "a<svg><text>x</text></svg>b<svg/>c", "abc"},
		{"CRLF whitespace", "a\r\nb", "a b"},
		{"attributes without values", "<input disabled><p hidden>x</p>", "x"},
		{"uppercase tags", "<P>a</P><DIV>b</DIV>", "a\n\nb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := HTMLToText(tt.in); got != tt.want {
				t.Errorf("HTMLToText(%q) =\n%q\nwant\n%q", tt.in, got, tt.want)
			}
		})
	}
}

func TestCleanText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"a\r\nb\rc\nd", "a\nb\nc\nd"},
		{"tab\tkept", "tab\tkept"},
		{"\x00\x01\x1b[31mred\x7f", "[31mred"},
		{"\u0085nel", "nel"},
		{"line\u2028sep\u2029para", "line\nsep\npara"},
		{"\u202egnp.exe\u202c \u2066x\u2069 \u200e\u200f", "gnp.exe x "},
		{"bad \xff\xfe\xfd bytes \xc3", "bad \ufffd bytes \ufffd"},
		{"ok é 😀", "ok é 😀"},
	}
	for _, tt := range tests {
		if got := CleanText(tt.in); got != tt.want {
			t.Errorf("CleanText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestHTMLToTextLarge(t *testing.T) {
	in := strings.Repeat("<p>para &amp; <a href=u>link</a></p>", 20000)
	out := HTMLToText(in)
	if strings.Count(out, "\n\n") != 19999 || !strings.HasPrefix(out, "para & link (u)\n\npara") {
		t.Errorf("unexpected output %q…", out[:min(len(out), 80)])
	}
}
