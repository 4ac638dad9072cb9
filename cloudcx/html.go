package cloudcx

import (
	"html"
	"strings"
	"unicode"
	"unicode/utf8"
)

// HTMLToText turns an HTML fragment or document into readable plain text:
//
//   - block elements (p, div, li, tr, h1–h6, blockquote, …) and br become
//     line breaks, paragraphs and headings a blank line; list items start
//     with "- ", table cells are separated by " | ";
//   - other whitespace collapses to single spaces, except inside pre;
//   - entities are decoded (&amp;, &nbsp;, &#8364;, …);
//   - script, style, head, title, template and svg elements are dropped
//     with their content, as are comments, doctypes and processing
//     instructions;
//   - a link becomes its text followed by " (URL)", or the URL alone when
//     it has no text; the URL is left out when it equals the text or is a
//     fragment or javascript: link; an image becomes its alt text;
//   - the text is cleaned as by CleanText (valid UTF-8, no control
//     characters); it neither starts nor ends with a line break or, outside
//     pre, a space.
//
// It never fails and never panics; it is deterministic, and the result is
// never longer than three times the input (invalid bytes become the
// three-byte U+FFFD, and a few entities decode to more bytes than they
// take). Malformed markup is read as browsers do where that is simple: an
// unterminated tag or comment swallows the rest of the input.
func HTMLToText(s string) string {
	var c htmlConverter
	c.b.Grow(len(s) / 2)
	c.run(s)
	return c.b.String()
}

type htmlConverter struct {
	b strings.Builder
	// started is true once text has been written; breaks and spaces are
	// only written between pieces of text.
	started bool
	space   bool
	breaks  int
	pre     int
	invalid bool
	// link is the open <a>'s href and where its text began.
	inLink    bool
	linkHref  string
	linkStart int
	// cells counts the cells of the current table row.
	cells int
}

func (c *htmlConverter) run(s string) {
	for len(s) > 0 {
		i := strings.IndexByte(s, '<')
		if i < 0 {
			c.text(s)
			break
		}
		if i > 0 {
			c.text(s[:i])
			s = s[i:]
		}
		n, ok := c.markup(s)
		if !ok {
			c.text("<")
			s = s[1:]
			continue
		}
		s = s[n:]
	}
	c.closeLink()
}

// text writes character data, decoding entities.
func (c *htmlConverter) text(s string) {
	if strings.IndexByte(s, '&') >= 0 {
		s = html.UnescapeString(s)
	}
	c.write(s)
}

// write writes decoded text, collapsing whitespace outside pre.
func (c *htmlConverter) write(s string) {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size <= 1 {
			i++
			if !c.invalid {
				c.emit(utf8.RuneError)
			}
			c.invalid = true
			continue
		}
		c.invalid = false
		i += size
		switch {
		case c.pre > 0 && (r == '\n' || r == '\u2028' || r == '\u2029'):
			c.lineBreak()
		case c.pre > 0 && r == '\r':
			if i < len(s) && s[i] == '\n' {
				continue
			}
			c.lineBreak()
		case c.pre > 0 && (r == ' ' || r == '\t'):
			c.flush()
			c.b.WriteRune(r)
		case unicode.IsSpace(r):
			c.space = true
		case isInvisibleControl(r):
		default:
			c.emit(r)
		}
	}
}

// flush writes the pending break or space, if text came before.
func (c *htmlConverter) flush() {
	if c.started {
		switch {
		case c.breaks > 0:
			c.b.WriteString("\n\n"[:c.breaks])
		case c.space:
			c.b.WriteByte(' ')
		}
	}
	c.started = true
	c.breaks, c.space = 0, false
}

func (c *htmlConverter) emit(r rune) {
	c.flush()
	c.b.WriteRune(r)
}

// block asks for at least n (1 or 2) line breaks before the next text.
func (c *htmlConverter) block(n int) {
	c.breaks = max(c.breaks, n)
}

// lineBreak adds one line break (br, newline in pre), up to a blank line.
func (c *htmlConverter) lineBreak() {
	c.breaks = min(c.breaks+1, 2)
}

// markup handles the markup at the start of s ("<…"); it returns how many
// bytes it used, or false when the "<" is plain text.
func (c *htmlConverter) markup(s string) (int, bool) {
	if len(s) < 2 {
		return 0, false
	}
	switch {
	case strings.HasPrefix(s, "<!--"):
		if end := strings.Index(s[4:], "-->"); end >= 0 {
			return 4 + end + 3, true
		}
		return len(s), true
	case s[1] == '!' || s[1] == '?':
		if end := strings.IndexByte(s, '>'); end >= 0 {
			return end + 1, true
		}
		return len(s), true
	}
	closing := s[1] == '/'
	start := 1
	if closing {
		start = 2
	}
	if start >= len(s) || !isASCIILetter(s[start]) {
		return 0, false
	}
	end := start
	for end < len(s) && (isASCIILetter(s[end]) || ('0' <= s[end] && s[end] <= '9') || s[end] == '-' || s[end] == ':') {
		end++
	}
	name := strings.ToLower(s[start:end])
	attrs, n := parseAttrs(s, end)
	if n < 0 {
		return len(s), true // unterminated tag: drop the rest, as browsers do
	}
	if closing {
		c.endTag(name)
		return n, true
	}
	switch name {
	case "script", "style", "head", "title", "template", "svg", "noembed", "noframes", "xmp":
		if name == "svg" && strings.HasSuffix(s[:n-1], "/") {
			return n, true // <svg/>
		}
		return n + skipPast(s[n:], name), true
	}
	c.startTag(name, attrs)
	return n, true
}

func isASCIILetter(b byte) bool { return ('a' <= b && b <= 'z') || ('A' <= b && b <= 'Z') }

// skipPast returns how many bytes of s run up to and through the first
// closing tag "</name…>" (all of s when there is none).
func skipPast(s, name string) int {
	for i := 0; i < len(s); {
		j := strings.Index(s[i:], "</")
		if j < 0 {
			return len(s)
		}
		k := i + j + 2
		if len(s)-k >= len(name) && strings.EqualFold(s[k:k+len(name)], name) &&
			(k+len(name) == len(s) || !isASCIILetter(s[k+len(name)])) {
			if end := strings.IndexByte(s[k:], '>'); end >= 0 {
				return k + end + 1
			}
			return len(s)
		}
		i = k
	}
	return len(s)
}

// parseAttrs reads the attributes of the tag in s from i up to its ">".
// It returns the href, src and alt values and the index after ">", or -1
// when the tag is not terminated.
func parseAttrs(s string, i int) (tagAttrs, int) {
	var a tagAttrs
	for {
		for i < len(s) && (isHTMLSpace(s[i]) || s[i] == '/') {
			i++
		}
		if i >= len(s) {
			return a, -1
		}
		if s[i] == '>' {
			return a, i + 1
		}
		start := i
		for i < len(s) && !isHTMLSpace(s[i]) && s[i] != '/' && s[i] != '>' && s[i] != '=' {
			i++
		}
		name := strings.ToLower(s[start:i])
		for i < len(s) && isHTMLSpace(s[i]) {
			i++
		}
		if i >= len(s) || s[i] != '=' {
			continue
		}
		i++
		for i < len(s) && isHTMLSpace(s[i]) {
			i++
		}
		if i >= len(s) {
			return a, -1
		}
		var val string
		if q := s[i]; q == '"' || q == '\'' {
			end := strings.IndexByte(s[i+1:], q)
			if end < 0 {
				return a, -1
			}
			val = s[i+1 : i+1+end]
			i += end + 2
		} else {
			start := i
			for i < len(s) && !isHTMLSpace(s[i]) && s[i] != '>' {
				i++
			}
			val = s[start:i]
		}
		switch name {
		case "href":
			a.href = val
		case "alt":
			a.alt = val
		}
	}
}

type tagAttrs struct{ href, alt string }

func isHTMLSpace(b byte) bool {
	return b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == '\f'
}

func (c *htmlConverter) startTag(name string, a tagAttrs) {
	switch name {
	case "br":
		c.lineBreak()
	case "p", "h1", "h2", "h3", "h4", "h5", "h6":
		c.block(2)
	case "pre":
		c.block(2)
		c.pre++
	case "li":
		c.block(1)
		c.flush()
		c.b.WriteString("- ")
	case "tr":
		c.block(1)
		c.cells = 0
	case "td", "th":
		if c.cells > 0 {
			c.space = false
			c.flush()
			c.b.WriteString(" | ")
		}
		c.cells++
	case "a":
		c.closeLink()
		c.inLink = true
		c.linkHref = a.href
		c.linkStart = c.b.Len()
	case "img":
		if alt := strings.TrimSpace(a.alt); alt != "" {
			c.space = true
			c.text(alt)
			c.space = true
		}
	default:
		if isBlock(name) {
			c.block(1)
		}
	}
}

func (c *htmlConverter) endTag(name string) {
	switch name {
	case "p", "h1", "h2", "h3", "h4", "h5", "h6":
		c.block(2)
	case "pre":
		c.block(2)
		if c.pre > 0 {
			c.pre--
		}
	case "a":
		c.closeLink()
	case "br":
		c.lineBreak()
	case "td", "th":
	default:
		if isBlock(name) {
			c.block(1)
		}
	}
}

// closeLink writes the URL of the open link, if it adds anything.
func (c *htmlConverter) closeLink() {
	if !c.inLink {
		return
	}
	c.inLink = false
	href := strings.Join(strings.Fields(OneLine(html.UnescapeString(c.linkHref))), "")
	lower := strings.ToLower(href)
	if href == "" || strings.HasPrefix(href, "#") || strings.HasPrefix(lower, "javascript:") {
		return
	}
	text := ""
	if c.linkStart <= c.b.Len() {
		text = strings.TrimSpace(c.b.String()[c.linkStart:])
	}
	switch {
	case text == "":
		c.space = true
		c.write(href)
	case text == href || strings.EqualFold("mailto:"+text, href) || strings.EqualFold("tel:"+text, href):
	default:
		c.space = true
		c.write("(" + href + ")")
	}
}

func isBlock(name string) bool {
	switch name {
	case "address", "article", "aside", "blockquote", "body", "caption", "center", "dd", "details",
		"dialog", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "header",
		"hgroup", "hr", "html", "legend", "main", "menu", "nav", "ol", "option", "section", "summary",
		"table", "tbody", "tfoot", "thead", "ul":
		return true
	}
	return false
}
