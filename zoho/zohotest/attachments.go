package zohotest

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Attachment is an attachment stored by the fake, as [Org.Attachments] returns it.
type Attachment struct {
	// ID is the attachment id.
	ID string
	// Module and RecordID name the record it is attached to.
	Module, RecordID string
	// FileName is the uploaded file's name (for a link: its title, or the URL).
	FileName string
	// ContentType is the content type of the uploaded part ("application/octet-stream" when the
	// client gave none).
	ContentType string
	// Data holds the file's bytes (nil for a link).
	Data []byte
	// LinkURL is set for a link attachment (attachmentUrl).
	LinkURL string
	// CreatedTime is when it was uploaded.
	CreatedTime time.Time
	// OwnerID is the id of the user who uploaded it.
	OwnerID string
}

type attachment struct {
	Attachment
	fileID string
}

// Attachments returns the attachments of a record, oldest first, with copies of their bytes.
func (o *Org) Attachments(moduleName, recordID string) []Attachment {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []Attachment
	for _, a := range o.attachments[recordID] {
		if !strings.EqualFold(a.Module, moduleName) {
			continue
		}
		c := a.Attachment
		c.Data = append([]byte(nil), a.Data...)
		out = append(out, c)
	}
	return out
}

// parentLocked finds the record an attachment call is about; o.mu must be held.
func (o *Org) parentLocked(x *exchange) (*module, *record, *reply) {
	mod := o.moduleLocked(x.mod)
	r := mod.records[x.segs[1]]
	if r == nil {
		return nil, nil, errInvalidData("the related id given seems to be invalid", obj{"id": x.segs[1]})
	}
	return mod, r, nil
}

// fileTooLarge is Zoho's 413 (verbatim body of zoho/crm-oas uploadAttachment
// response-413-filesizeexceeded).
func fileTooLarge() *reply {
	return errorReply(http.StatusRequestEntityTooLarge, "FILE_SIZE_MORE_THAN_ALLOWED_SIZE",
		"Please check if the size of the file is in the correct range", nil)
}

// handleUpload serves POST /crm/v2/{module}/{id}/Attachments, a multipart/form-data body with a
// `file` part or an `attachmentUrl` field (and an optional `title`). Files over the size limit
// (100 MB) get 413; .exe files 400 INVALID_DATA, as Zoho refuses them.
func (o *Org) handleUpload(x *exchange) *reply {
	o.mu.Lock()
	_, _, rep := o.parentLocked(x)
	o.mu.Unlock()
	if rep != nil {
		return rep
	}
	ct, params, err := mime.ParseMediaType(x.r.Header.Get("Content-Type"))
	if err != nil || ct != "multipart/form-data" || params["boundary"] == "" {
		return errInvalidData("the request must be multipart/form-data", obj{"param_name": "file"})
	}
	limit := o.s.opts.maxAttachment
	x.r.Body = http.MaxBytesReader(nil, x.r.Body, limit+1<<20)
	mr, err := x.r.MultipartReader()
	if err != nil {
		return errInvalidData("invalid data", obj{"param_name": "file"})
	}
	var up Attachment
	var gotFile, gotLink bool
	var title string
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return fileTooLarge()
			}
			return errInvalidData("invalid data", obj{"param_name": "file"})
		}
		switch part.FormName() {
		case "file":
			if gotFile {
				return errInvalidData("invalid data", obj{"param_name": "file"})
			}
			data, err := io.ReadAll(io.LimitReader(part, limit+1))
			var mbe *http.MaxBytesError
			if int64(len(data)) > limit || errors.As(err, &mbe) {
				return fileTooLarge()
			}
			if err != nil {
				return errInvalidData("invalid data", obj{"param_name": "file"})
			}
			gotFile = true
			up.Data, up.FileName = data, part.FileName()
			up.ContentType = part.Header.Get("Content-Type")
			if up.ContentType == "" {
				up.ContentType = "application/octet-stream"
			}
		case "attachmentUrl":
			v, err := io.ReadAll(io.LimitReader(part, 3001))
			if err != nil || len(v) > 3000 {
				return errInvalidData("invalid data", obj{"param_name": "attachmentUrl", "maximum_length": 3000})
			}
			u, err := url.Parse(string(v))
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return errInvalidData("invalid data", obj{"param_name": "attachmentUrl"})
			}
			gotLink, up.LinkURL = true, string(v)
		case "title":
			v, err := io.ReadAll(io.LimitReader(part, 256))
			if err != nil || len(v) > 255 {
				return errInvalidData("invalid data", obj{"param_name": "title", "maximum_length": 255})
			}
			title = string(v)
		default:
			_, _ = io.Copy(io.Discard, part)
		}
	}
	switch {
	case !gotFile && !gotLink:
		return errParamMissing("file")
	case gotFile && gotLink:
		return errInvalidData("give either file or attachmentUrl", obj{"param_name": "attachmentUrl"})
	case gotFile && strings.HasSuffix(strings.ToLower(strings.TrimSpace(up.FileName)), ".exe"):
		return errInvalidData("invalid data", obj{"param_name": "file", "reason": ".exe files are not allowed"})
	case gotFile && up.FileName == "":
		return errInvalidData("invalid data", obj{"param_name": "file", "reason": "the file part has no file name"})
	case gotLink:
		up.FileName = title
		if up.FileName == "" {
			up.FileName = up.LinkURL
		}
	}
	now := o.s.now().Truncate(time.Second)
	o.mu.Lock()
	defer o.mu.Unlock()
	_, r, rep := o.parentLocked(x)
	if rep != nil {
		return rep
	}
	a := &attachment{Attachment: up}
	a.ID, a.Module, a.RecordID, a.CreatedTime, a.OwnerID = o.newIDLocked(), x.mod, r.id, now, x.userID()
	if gotFile {
		a.fileID = "zt" + a.ID
	}
	o.attachments[r.id] = append(o.attachments[r.id], a)
	by := o.userRefByIDLocked(a.OwnerID)
	return jsonReply(http.StatusOK, obj{"data": []any{obj{
		"code": "SUCCESS",
		"details": obj{
			"Modified_Time": o.format(now), "Modified_By": by, "Created_Time": o.format(now), "id": a.ID, "Created_By": by,
		},
		"message": "attachment uploaded successfully",
		"status":  "success",
	}}})
}

// handleListAttachments serves GET /crm/v2/{module}/{id}/Attachments, newest first; 204 when
// there are none.
func (o *Org) handleListAttachments(x *exchange) *reply {
	page, perPage, rep := pageParams(x.r)
	if rep != nil {
		return rep
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	mod, r, rep := o.parentLocked(x)
	if rep != nil {
		return rep
	}
	list := append([]*attachment(nil), o.attachments[r.id]...)
	sort.Slice(list, func(i, j int) bool { return idLess(list[j].ID, list[i].ID) })
	pg, info := pageOf(list, page, perPage)
	if len(pg) == 0 {
		return noContent()
	}
	info["next_page_token"], info["previous_page_token"], info["page_token_expiry"] = nil, nil, nil
	data := make([]any, len(pg))
	for i, a := range pg {
		var owner any = nil
		if u := o.userLocked(a.OwnerID); u != nil {
			owner = userRef(u, true)
		}
		item := obj{
			"Owner": owner, "Modified_By": deepCopy(owner), "Created_By": deepCopy(owner),
			"Modified_Time": o.format(a.CreatedTime), "Created_Time": o.format(a.CreatedTime),
			"File_Name": a.FileName, "$field_states": nil, "Size": strconv.Itoa(len(a.Data)),
			"Parent_Id": obj{"name": displayName(mod, r), "id": r.id}, "$editable": true,
			"$file_id": nil, "$type": "File", "$se_module": mod.name, "$state": "save", "id": a.ID,
		}
		if a.fileID != "" {
			item["$file_id"] = a.fileID
		} else {
			item["$type"], item["$link_url"] = "Link URL", a.LinkURL
		}
		data[i] = item
	}
	return jsonReply(http.StatusOK, obj{"data": data, "info": info})
}

func (o *Org) attachmentLocked(x *exchange) (*attachment, int, *reply) {
	if _, _, rep := o.parentLocked(x); rep != nil {
		return nil, 0, rep
	}
	for i, a := range o.attachments[x.segs[1]] {
		if a.ID == x.segs[3] {
			return a, i, nil
		}
	}
	return nil, 0, errInvalidData("the id given seems to be invalid", obj{"id": x.segs[3]})
}

// handleDownload serves GET /crm/v2/{module}/{id}/Attachments/{attachment_id}: the file's bytes.
func (o *Org) handleDownload(x *exchange) *reply {
	o.mu.Lock()
	defer o.mu.Unlock()
	a, _, rep := o.attachmentLocked(x)
	if rep != nil {
		return rep
	}
	if a.fileID == "" {
		return errInvalidData("a link attachment has no file to download", obj{"id": a.ID})
	}
	r := newReply()
	r.status = http.StatusOK
	r.body = append([]byte(nil), a.Data...)
	r.header.Set("Content-Type", a.ContentType)
	r.header.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": a.FileName}))
	r.header.Set("Content-Length", strconv.Itoa(len(a.Data)))
	return r
}

// handleDeleteAttachment serves DELETE /crm/v2/{module}/{id}/Attachments/{attachment_id}.
func (o *Org) handleDeleteAttachment(x *exchange) *reply {
	o.mu.Lock()
	defer o.mu.Unlock()
	a, i, rep := o.attachmentLocked(x)
	if rep != nil {
		return rep
	}
	list := o.attachments[a.RecordID]
	o.attachments[a.RecordID] = append(list[:i:i], list[i+1:]...)
	return jsonReply(http.StatusOK, obj{"data": []any{obj{
		"code": "SUCCESS", "details": obj{"id": a.ID}, "message": "record deleted", "status": "success",
	}}})
}
