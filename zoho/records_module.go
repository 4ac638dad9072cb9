package zoho

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"

	"github.com/cloudcx/cxzoho/zoho/crm"
)

// ModuleService reads and writes the records of one module as values of type T: [crm.Lead],
// [crm.Contact], [crm.Account], [crm.Case], [crm.Task], [crm.Record], or a caller's own struct
// (which should keep unknown fields the way the typed records do, if it writes records back). It
// is a thin typed facade over [RecordsService]: splitting, results and paging are the same.
//
//	leads := client.Records.Leads()
//	res, _, err := leads.Insert(ctx, []*crm.Lead{{LastName: crm.Some("Boyle"), Company: crm.Some("Zylker")}}, nil)
type ModuleService[T any] struct {
	records *RecordsService
	module  string
}

// ForModule returns a service for the records of module (an API name such as "Leads" or a custom
// module's "Chat_Transcripts") as values of type T. The module name is checked by each call.
func ForModule[T any](s *RecordsService, module string) *ModuleService[T] {
	return &ModuleService[T]{records: s, module: module}
}

// Leads returns the service for the Leads module.
func (s *RecordsService) Leads() *ModuleService[crm.Lead] { return ForModule[crm.Lead](s, "Leads") }

// Contacts returns the service for the Contacts module.
func (s *RecordsService) Contacts() *ModuleService[crm.Contact] {
	return ForModule[crm.Contact](s, "Contacts")
}

// Accounts returns the service for the Accounts module.
func (s *RecordsService) Accounts() *ModuleService[crm.Account] {
	return ForModule[crm.Account](s, "Accounts")
}

// Cases returns the service for the Cases module.
func (s *RecordsService) Cases() *ModuleService[crm.Case] { return ForModule[crm.Case](s, "Cases") }

// Tasks returns the service for the Tasks module.
func (s *RecordsService) Tasks() *ModuleService[crm.Task] { return ForModule[crm.Task](s, "Tasks") }

// ready refuses a ModuleService that [ForModule] (or an accessor such as Leads) did not make.
func (m *ModuleService[T]) ready() error {
	if m == nil || m.records == nil {
		return errors.New("zoho: nil records service")
	}
	return nil
}

// Module returns the module's API name.
func (m *ModuleService[T]) Module() string { return m.module }

// Insert creates records; see [RecordsService.Insert].
func (m *ModuleService[T]) Insert(ctx context.Context, records []*T, opts *WriteOptions) (RecordResults, *Response, error) {
	return m.writeRecords(ctx, "insert", records, opts, nil)
}

// Update changes records, each carrying its id; see [RecordsService.Update].
func (m *ModuleService[T]) Update(ctx context.Context, records []*T, opts *WriteOptions) (RecordResults, *Response, error) {
	return m.writeRecords(ctx, "update", records, opts, nil)
}

// Upsert inserts or updates records by their duplicate-check fields; see [RecordsService.Upsert].
func (m *ModuleService[T]) Upsert(ctx context.Context, records []*T, opts *UpsertOptions) (RecordResults, *Response, error) {
	var wo *WriteOptions
	var dup []string
	if opts != nil {
		wo, dup = &opts.WriteOptions, opts.DuplicateCheckFields
		for _, f := range dup {
			if err := validateFieldName(f); err != nil {
				return nil, nil, fmt.Errorf("zoho: UpsertOptions.DuplicateCheckFields: %w", err)
			}
		}
	}
	return m.writeRecords(ctx, "upsert", records, wo, dup)
}

func (m *ModuleService[T]) writeRecords(ctx context.Context, name string, records []*T, opts *WriteOptions, dup []string) (RecordResults, *Response, error) {
	if err := m.ready(); err != nil {
		return nil, nil, err
	}
	op, err := m.records.writeOpFor(name, opts)
	if err != nil {
		return nil, nil, err
	}
	op.dupFields = dup
	raws, errs := encodeAll(records)
	return m.records.write(ctx, m.module, op, raws, errs)
}

// Get reads one record by id; see [RecordsService.Get].
func (m *ModuleService[T]) Get(ctx context.Context, id string) (*T, *Response, error) {
	if err := m.ready(); err != nil {
		return nil, nil, err
	}
	if err := checkModuleCall(ctx, m.module); err != nil {
		return nil, nil, err
	}
	if err := validateRecordID(id); err != nil {
		return nil, nil, err
	}
	path, err := PathJoin(m.module, id)
	if err != nil {
		return nil, nil, err
	}
	req, err := m.records.client.NewRequest(http.MethodGet, path, nil, nil)
	if err != nil {
		return nil, nil, err
	}
	var ans listAnswer
	resp, err := m.records.client.Do(ctx, req, &ans)
	if err != nil {
		return nil, resp, err
	}
	if len(ans.Data) == 0 {
		return nil, resp, fmt.Errorf("zoho: %s record %s: %w", m.module, id, ErrNotFound)
	}
	v, err := decodeRecord[T](ans.Data[0])
	if err != nil {
		return nil, resp, fmt.Errorf("zoho: decoding %s record %s: %w", m.module, id, err)
	}
	return v, resp, nil
}

// Delete deletes records by id; see [RecordsService.Delete].
func (m *ModuleService[T]) Delete(ctx context.Context, ids []string, opts *DeleteOptions) (RecordResults, *Response, error) {
	if err := m.ready(); err != nil {
		return nil, nil, err
	}
	return m.records.deleteIDs(ctx, m.module, ids, opts)
}

// List reads one page of records; see [RecordsService.List].
func (m *ModuleService[T]) List(ctx context.Context, opts *ListOptions) ([]*T, *Response, error) {
	if err := m.ready(); err != nil {
		return nil, nil, err
	}
	raws, resp, err := m.records.listRaw(ctx, m.module, opts)
	if err != nil {
		return nil, resp, err
	}
	out, err := decodeRecords[T](raws, "a "+m.module+" record")
	return out, resp, err
}

// ListIter iterates over all records, page after page; see [RecordsService.ListIter].
func (m *ModuleService[T]) ListIter(ctx context.Context, opts *ListOptions) iter.Seq2[*T, error] {
	if err := m.ready(); err != nil {
		return func(yield func(*T, error) bool) { yield(nil, err) }
	}
	return listIter[T](ctx, m.records, m.module, opts)
}

// validateFieldName checks a field API name used in a parameter list.
func validateFieldName(f string) error {
	if f == "" {
		return errors.New("empty field name")
	}
	for _, r := range f {
		if !(r == '_' || r == '$' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return fmt.Errorf("%q is not a field API name", f)
		}
	}
	return nil
}
