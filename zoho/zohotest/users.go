package zohotest

import (
	"net/http"
	"strings"
)

// userTypes are the values of GET /users?type=… and who they select.
var userTypes = map[string]func(u *User, current bool) bool{
	"AllUsers":             func(u *User, _ bool) bool { return u.Status != "deleted" },
	"ActiveUsers":          func(u *User, _ bool) bool { return u.Status == "active" },
	"DeactiveUsers":        func(u *User, _ bool) bool { return u.Status == "inactive" || u.Status == "disabled" },
	"ConfirmedUsers":       func(u *User, _ bool) bool { return !u.NotConfirmed && u.Status != "deleted" },
	"NotConfirmedUsers":    func(u *User, _ bool) bool { return u.NotConfirmed && u.Status != "deleted" },
	"DeletedUsers":         func(u *User, _ bool) bool { return u.Status == "deleted" },
	"ActiveConfirmedUsers": func(u *User, _ bool) bool { return u.Status == "active" && !u.NotConfirmed },
	"AdminUsers":           func(u *User, _ bool) bool { return u.Profile == "Administrator" && u.Status != "deleted" },
	"ActiveConfirmedAdmins": func(u *User, _ bool) bool {
		return u.Profile == "Administrator" && u.Status == "active" && !u.NotConfirmed
	},
	"CurrentUser": func(_ *User, current bool) bool { return current },
}

// nameID gives role and profile names stable ids within the org.
func (o *Org) nameIDLocked(kind, name string) string {
	key := kind + ":" + name
	if id, ok := o.names[key]; ok {
		return id
	}
	id := o.newIDLocked()
	o.names[key] = id
	return id
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// zuid is the user's Zoho account id (digits).
func zuid(u *User) string {
	if len(u.ID) > 9 {
		return "8" + u.ID[len(u.ID)-8:]
	}
	return "8" + u.ID
}

// userJSONLocked is a user as GET /users serves it (keys of zoho-api.md §5 and the v7/v8
// samples).
func (o *Org) userJSONLocked(u *User) obj {
	admin := o.users[0]
	created := o.format(o.created)
	return obj{
		"id": u.ID, "email": u.Email, "first_name": nullIfEmpty(u.FirstName), "last_name": nullIfEmpty(u.LastName),
		"full_name": u.FullName(), "status": u.Status, "confirm": !u.NotConfirmed,
		"role":    obj{"name": u.Role, "id": o.names["role:"+u.Role]},
		"profile": obj{"name": u.Profile, "id": o.names["profile:"+u.Profile]},
		"zuid":    zuid(u), "time_zone": u.TimeZone, "locale": "en_US", "country_locale": "en_US", "language": "en_US",
		"Isonline": false, "created_time": created, "Modified_Time": created,
		"created_by": userRef(admin, false), "Modified_By": userRef(admin, false),
		"type__s": "Regular User", "alias": nil, "phone": nil, "mobile": nil, "fax": nil, "website": nil,
		"street": nil, "city": nil, "state": nil, "zip": nil, "country": nil, "dob": nil,
		"date_format": "MMM d, yyyy", "time_format": "hh:mm a", "decimal_separator": "Period",
		"number_separator": "Comma", "sandboxDeveloper": false, "microsoft": false, "personal_account": false,
		"status_reason__s": nil, "Reporting_To": nil,
	}
}

// handleUsers serves GET /crm/v2/users?type=…&page=…&per_page=… and GET /crm/v2/users/{id}:
// {"users":[…],"info":{…}}; 204 when none match.
func (o *Org) handleUsers(x *exchange) *reply {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(x.segs) == 2 {
		u := o.userLocked(x.segs[1])
		if u == nil {
			return noContent()
		}
		return jsonReply(http.StatusOK, obj{"users": []any{o.userJSONLocked(u)}})
	}
	typ := normalizeUserType(x.r.URL.Query().Get("type"))
	if typ == "" {
		typ = "AllUsers"
	}
	sel, ok := userTypes[typ]
	if !ok {
		keys := sortedKeys(userTypes)
		return errInvalidData("invalid data", obj{"param_name": "type", "supported_values": keys})
	}
	page, perPage, rep := pageParams(x.r)
	if rep != nil {
		return rep
	}
	current := x.userID()
	var list []*User
	for _, u := range o.users {
		if sel(u, u.ID == current) {
			list = append(list, u)
		}
	}
	pg, info := pageOf(list, page, perPage)
	if len(pg) == 0 {
		return noContent()
	}
	users := make([]any, len(pg))
	for i, u := range pg {
		users[i] = o.userJSONLocked(u)
	}
	return jsonReply(http.StatusOK, obj{"users": users, "info": info})
}

// handleOrg serves GET /crm/v2/org: {"org":[{…}]} (keys of the v2 and v7 samples).
func (o *Org) handleOrg(x *exchange) *reply {
	o.mu.Lock()
	defer o.mu.Unlock()
	cur := o.currentLocked()
	paid := o.edition != EditionFree
	active := 0
	for _, u := range o.users {
		if u.Status == "active" {
			active++
		}
	}
	org := obj{
		"id": o.longID, "zgid": o.id, "company_name": o.name, "primary_email": o.primaryEmail,
		"primary_zuid": zuid(cur), "domain_name": "org" + o.id, "type": "production", "alias": nil,
		"country": nil, "country_code": "US", "state": nil, "city": nil, "street": nil, "zip": nil,
		"phone": nil, "mobile": nil, "fax": nil, "website": nil, "description": nil, "photo_id": nil,
		"employee_count": "1", "time_zone": o.loc.String(), "currency": "US Dollar - USD",
		"currency_symbol": "$", "currency_locale": "en_US", "iso_code": "USD", "mc_status": false,
		"gapps_enabled": false, "privacy_settings": false, "hipaa_compliance_enabled": false,
		"translation_enabled": false, "lite_users_enabled": false, "deletable_org_account": false,
		"hierarchy_preferences": obj{"type": "Role_Hierarchy"},
		"created_time":          o.format(o.created),
		"license_details": obj{
			"paid": paid, "paid_type": o.edition, "paid_expiry": nil, "trial_type": nil, "trial_expiry": nil,
			"users_license_purchased": active, "portal_users_license_purchased": 0,
		},
	}
	return jsonReply(http.StatusOK, obj{"org": []any{org}})
}

// normalizeUserType is for callers that lower-case the type.
func normalizeUserType(s string) string {
	for k := range userTypes {
		if strings.EqualFold(k, s) {
			return k
		}
	}
	return s
}
