package ui

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/station"
)

// sitesScreen (站点管理): how many sub-sites this account manages, the list of them, one site's
// details, 编辑, 添加站点 and 添加扫码员.
type sitesScreen struct {
	u       *UI
	sites   []checkpoint.Site
	list    *widget.List
	detail  *fyne.Container
	summary *widget.Label
	msg     *widget.Label
	// notices lists the edits HQ did not apply, one line each (empty when there are none).
	notices *widget.Label
	sel     int
}

func (u *UI) showSites() {
	if u.sess == nil || !u.sess.Supervisor {
		u.showHome()
		return
	}
	s := &sitesScreen{u: u, sel: -1}
	s.msg = errorLabel()
	s.summary = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	s.notices = widget.NewLabel("")
	s.notices.Importance = widget.WarningImportance
	s.notices.Wrapping = fyne.TextWrapWord
	s.detail = container.NewVBox()
	s.list = widget.NewList(
		func() int { return len(s.sites) },
		func() fyne.CanvasObject { return widget.NewLabel("") },
		func(i widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(s.rowText(i)) },
	)
	s.list.OnSelected = func(i widget.ListItemID) { s.sel = i; s.showDetail() }
	addSite := widget.NewButton("＋ "+u.T("sites.add"), func() { s.showForm(checkpoint.Site{ParentID: u.sess.SiteID, Active: true}, true) })
	addStaff := widget.NewButton("＋ "+u.T("sites.add_staff"), func() { s.showStaffForm("") })
	addSite.Importance = widget.HighImportance
	top := container.NewVBox(s.summary, s.notices, container.NewHBox(addSite, addStaff), s.msg)
	u.screen = s
	u.setBody("sites", container.NewBorder(top, nil, nil, nil,
		container.NewHSplit(s.list, container.NewVScroll(s.detail))))
	s.reload()
}

func (s *sitesScreen) reload() {
	u := s.u
	sites, err := u.deps.Sites.Sites(u.ctx(), *u.sess)
	if err != nil {
		s.msg.SetText(u.errText(err))
	}
	s.sites = sites
	sub := 0
	for _, x := range sites {
		if x.ID != u.sess.SiteID {
			sub++
		}
	}
	s.summary.SetText(u.T("sites.summary", sub))
	s.showNotices()
	s.list.UnselectAll()
	s.list.Refresh()
	s.detail.Objects = []fyne.CanvasObject{widget.NewLabel(u.T("sites.pick"))}
	s.detail.Refresh()
}

// showNotices lists the supervisor's edits HQ did not apply, in the screen's language.
func (s *sitesScreen) showNotices() {
	u := s.u
	list, err := u.deps.Sites.Notices(u.ctx(), *u.sess)
	if err != nil {
		s.msg.SetText(u.errText(err))
		return
	}
	text := ""
	for i, n := range list {
		if i > 0 {
			text += "\n"
		}
		key := "sites.notice_site"
		if n.Kind == checkpoint.KindStaffAdd {
			key = "sites.notice_staff"
		}
		text += u.T(key, n.Name)
	}
	s.notices.SetText(text)
	s.notices.Hidden = text == ""
	s.notices.Refresh()
}

// rowText indents a site by its depth below the supervisor's own site.
func (s *sitesScreen) rowText(i int) string {
	// Depth below the supervisor's own site, which comes first in the list.
	depth := 0
	parent := map[string]string{}
	for _, x := range s.sites {
		parent[x.ID] = x.ParentID
	}
	for p := s.sites[i].ID; p != s.u.sess.SiteID && p != "" && depth < 8; p = parent[p] {
		depth++
	}
	prefix := ""
	for j := 1; j < depth; j++ {
		prefix += "    "
	}
	if depth > 0 {
		prefix += "└ "
	}
	return prefix + s.sites[i].Name
}

func (s *sitesScreen) showDetail() {
	u := s.u
	if s.sel < 0 || s.sel >= len(s.sites) {
		return
	}
	site := s.sites[s.sel]
	f := widget.NewForm(
		widget.NewFormItem(u.T("site.name"), widget.NewLabel(site.Name)),
		widget.NewFormItem(u.T("site.address"), widget.NewLabel(site.Address)),
		widget.NewFormItem(u.T("site.contact"), widget.NewLabel(site.Contact)),
		widget.NewFormItem(u.T("site.phone"), widget.NewLabel(site.Phone)),
		widget.NewFormItem(u.T("site.division"), widget.NewLabel(site.Division)),
		widget.NewFormItem(u.T("site.remarks"), widget.NewLabel(site.Remarks)),
		widget.NewFormItem(u.T("site.id"), widget.NewLabel(site.ID)),
	)
	edit := widget.NewButton(u.T("sites.edit"), func() { s.showForm(site, false) })
	addChild := widget.NewButton(u.T("sites.add_child"), func() {
		s.showForm(checkpoint.Site{ParentID: site.ID, Active: true}, true)
	})
	staff := widget.NewButton(u.T("sites.add_staff"), func() { s.showStaffForm(site.ID) })
	s.detail.Objects = []fyne.CanvasObject{f, container.NewHBox(edit, addChild, staff)}
	s.detail.Refresh()
}

// showForm is the add/edit site page; fields marked * are required.
func (s *sitesScreen) showForm(site checkpoint.Site, created bool) {
	u := s.u
	name, addr, contact, phone, div, remarks := widget.NewEntry(), widget.NewEntry(), widget.NewEntry(),
		widget.NewEntry(), widget.NewEntry(), widget.NewMultiLineEntry()
	name.SetText(site.Name)
	addr.SetText(site.Address)
	contact.SetText(site.Contact)
	phone.SetText(site.Phone)
	div.SetText(site.Division)
	remarks.SetText(site.Remarks)
	msg := errorLabel()
	title := u.T("sites.edit_title")
	if created {
		title = u.T("sites.add_title")
	}
	form := widget.NewForm(
		widget.NewFormItem(u.T("site.name")+" *", name),
		widget.NewFormItem(u.T("site.address")+" *", addr),
		widget.NewFormItem(u.T("site.contact")+" *", contact),
		widget.NewFormItem(u.T("site.phone")+" *", phone),
		widget.NewFormItem(u.T("site.division"), div),
		widget.NewFormItem(u.T("site.remarks"), remarks),
	)
	confirm := widget.NewButton(u.T("person.confirm"), func() {
		site.Name, site.Address, site.Contact, site.Phone = name.Text, addr.Text, contact.Text, phone.Text
		site.Division, site.Remarks = div.Text, remarks.Text
		if err := u.deps.Sites.SaveSite(u.ctx(), *u.sess, site, created); err != nil {
			msg.SetText(u.errText(err))
			return
		}
		u.showSites()
	})
	confirm.Importance = widget.HighImportance
	cancel := widget.NewButton(u.T("person.cancel"), u.showSites)
	box := container.NewVBox(widget.NewLabelWithStyle(title, fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		form, widget.NewLabel(u.T("form.required")), msg, container.NewGridWithColumns(2, cancel, confirm))
	u.setBody("site_form", container.NewCenter(container.NewGridWrap(fyne.NewSize(720, 600), box)))
}

// showStaffForm adds scanner staff (添加扫码员) to a site.
func (s *sitesScreen) showStaffForm(siteID string) {
	u := s.u
	if siteID == "" {
		siteID = u.sess.SiteID
	}
	var names []string
	ids := map[string]string{}
	chosen := ""
	for _, x := range s.sites {
		label := fmt.Sprintf("%s (%s)", x.Name, x.ID)
		names = append(names, label)
		ids[label] = x.ID
		if x.ID == siteID {
			chosen = label
		}
	}
	site := widget.NewSelect(names, nil)
	site.SetSelected(chosen)
	phone, name, pw := widget.NewEntry(), widget.NewEntry(), widget.NewPasswordEntry()
	pw.SetPlaceHolder(u.T("staff.password_hint"))
	msg := errorLabel()
	confirm := widget.NewButton(u.T("person.confirm"), func() {
		err := u.deps.Sites.AddStaff(u.ctx(), *u.sess, station.NewStaff{
			Phone: phone.Text, Name: name.Text, Password: pw.Text, SiteID: ids[site.Selected], Role: "scanner"})
		if err != nil {
			msg.SetText(u.errText(err))
			return
		}
		u.showSites()
		if ss, ok := u.screen.(*sitesScreen); ok {
			ss.msg.Importance = widget.SuccessImportance
			ss.msg.SetText(u.T("staff.added"))
		}
	})
	confirm.Importance = widget.HighImportance
	form := widget.NewForm(
		widget.NewFormItem(u.T("staff.site")+" *", site),
		widget.NewFormItem(u.T("staff.phone")+" *", phone),
		widget.NewFormItem(u.T("staff.name")+" *", name),
		widget.NewFormItem(u.T("staff.password")+" *", pw),
	)
	box := container.NewVBox(widget.NewLabelWithStyle(u.T("sites.add_staff"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		form, msg, container.NewGridWithColumns(2, widget.NewButton(u.T("person.cancel"), u.showSites), confirm))
	u.setBody("staff_form", container.NewCenter(container.NewGridWrap(fyne.NewSize(720, 520), box)))
}
